"""LETOR-format datasets (e.g. LETOR 4.0 MQ2008): reading folds, and the evaluation table.

A LETOR file has one judged document per line::

    2 qid:10032 1:0.056537 2:0.000000 ... 46:0.076923 #docid = GX029-35-5894638 inc = ...

A dataset folder holds ``Fold1``..``Fold5``, each with ``train``, ``vali`` and ``test``
files (optionally gzip-compressed). :func:`evaluate_folds` trains XGBoost LambdaMART
(``rank:ndcg``, early stopping on ``vali``) and a LightGBM lambdarank baseline on each fold
and scores both on ``test`` with NDCG@1/3/5/10 and MAP.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..ltr.train import (
    RankingData,
    train_lightgbm_lambdarank,
    train_xgboost_lambdamart,
    xgboost_scores,
)
from .metrics import EmptyQueries, evaluate

_PAIR = re.compile(r"(\d+):(\S+)")


@dataclass(frozen=True)
class LetorSplit:
    labels: np.ndarray  # int
    query_ids: np.ndarray  # int
    features: np.ndarray  # float32 (documents, features); feature id i is column i - 1
    doc_ids: list[str]

    def ranking_data(self) -> RankingData:
        names = [f"f{i + 1}" for i in range(self.features.shape[1])]
        return RankingData(self.features, self.labels, self.query_ids, names)


@dataclass(frozen=True)
class Fold:
    number: int
    train: LetorSplit
    vali: LetorSplit
    test: LetorSplit


def read_split(path: Path, num_features: int | None = None) -> LetorSplit:
    """Read one LETOR file (``.txt`` or ``.txt.gz``); missing feature ids are 0."""
    opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
    labels: list[int] = []
    qids: list[int] = []
    rows: list[dict[int, float]] = []
    doc_ids: list[str] = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            data, _, comment = line.partition("#")
            parts = data.split()
            if not parts:
                continue
            if len(parts) < 2 or not parts[1].startswith("qid:"):
                raise ValueError(f"{path}:{line_number}: expected '<label> qid:<id> ...'")
            labels.append(int(float(parts[0])))
            qids.append(int(parts[1][4:]))
            rows.append({int(k): float(v) for k, v in _PAIR.findall(" ".join(parts[2:]))})
            doc_ids.append(_doc_id(comment) or f"{path.name}:{line_number}")
    width = num_features or max((max(r) for r in rows if r), default=0)
    features = np.zeros((len(rows), width), dtype=np.float32)
    for i, row in enumerate(rows):
        for fid, value in row.items():
            if fid <= width:
                features[i, fid - 1] = value
    return LetorSplit(np.array(labels), np.array(qids), features, doc_ids)


def _doc_id(comment: str) -> str | None:
    match = re.search(r"docid\s*=\s*(\S+)", comment)
    return match.group(1) if match else None


def _split_file(folder: Path, name: str) -> Path:
    for candidate in (folder / f"{name}.txt.gz", folder / f"{name}.txt"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no {name}.txt(.gz) in {folder}")


def read_fold(root: Path, number: int) -> Fold:
    folder = root / f"Fold{number}"
    train = read_split(_split_file(folder, "train"))
    width = train.features.shape[1]
    return Fold(
        number,
        train,
        read_split(_split_file(folder, "vali"), width),
        read_split(_split_file(folder, "test"), width),
    )


def parse_folds(spec: str) -> list[int]:
    """``"1-5"`` -> [1, 2, 3, 4, 5]; ``"1,3"`` -> [1, 3]."""
    out: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        out.extend(range(int(first), int(last or first) + 1))
    return out


def evaluate_fold(fold: Fold, empty: EmptyQueries, seed: int = 0) -> dict[str, dict[str, float]]:
    """Test-set metrics of XGBoost LambdaMART (native predictions) and LightGBM lambdarank."""
    train, vali, test = (s.ranking_data() for s in (fold.train, fold.vali, fold.test))
    booster = train_xgboost_lambdamart(train, vali, seed=seed)
    lightgbm = train_lightgbm_lambdarank(train, vali, seed=seed)
    native = xgboost_scores(booster, test.features)
    baseline = np.asarray(lightgbm.predict(test.features, raw_score=True))
    return {
        "xgboost_native": evaluate(test.labels, native, test.query_ids, empty=empty),
        "lightgbm": evaluate(test.labels, baseline, test.query_ids, empty=empty),
    }


def evaluate_folds(
    root: Path, folds: list[int], empty: EmptyQueries = "zero", seed: int = 0
) -> dict[str, Any]:
    """The per-fold and mean table for ``mutuo eval letor``."""
    tables = [evaluate_fold(read_fold(root, number), empty, seed) for number in folds]
    means = {
        system: {
            metric: round(float(np.mean([t[system][metric] for t in tables])), 4)
            for metric in metrics
        }
        for system, metrics in (tables[0].items() if tables else [])
    }
    return {
        "dataset": str(root),
        "folds": [{"fold": n, **t} for n, t in zip(folds, tables, strict=True)],
        "mean": means,
        "queries_without_relevant_documents": empty,
    }
