"""LETOR-format datasets (e.g. LETOR 4.0 MQ2008): reading folds, and the evaluation table.

A LETOR file has one judged document per line::

    2 qid:10032 1:0.056537 2:0.000000 ... 46:0.076923 #docid = GX029-35-5894638 inc = ...

A dataset folder holds ``Fold1``..``Fold5``, each with ``train``, ``vali`` and ``test``
files (optionally gzip-compressed). :func:`evaluate_fold` runs three systems on a fold and
scores each on ``test`` with NDCG@1/3/5/10 and MAP:

* ``engine``: the LTR plugin path on the embedded engine (:mod:`.letor_engine`): index,
  feature set, ``ltr_log``, XGBoost LambdaMART trained on the logged features (early
  stopping on ``vali``), ``_createmodel``, test queries ranked by an ``sltr`` rescore;
* ``xgboost_native``: the same booster's own predictions on the test features;
* ``lightgbm``: a LightGBM lambdarank baseline trained on the same split.

The engine's rankings must equal the native ones; the report says whether they do.
"""

from __future__ import annotations

import gzip
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..client import connect
from ..ltr.train import (
    RankingData,
    train_lightgbm_lambdarank,
    train_xgboost_lambdamart,
    xgboost_scores,
)
from . import letor_engine as engine_path
from .letor_engine import EngineRanking, NoProgress, Progress
from .metrics import EmptyQueries, evaluate, ranking

_PAIR = re.compile(r"(\d+):(\S+)")


@dataclass(frozen=True)
class LetorSplit:
    labels: np.ndarray  # int
    query_ids: np.ndarray  # int
    features: np.ndarray  # float32 (documents, features); feature id i is column i - 1
    doc_ids: list[str]
    present: np.ndarray  # bool, like ``features``: was the feature id on the line

    def feature_names(self) -> list[str]:
        return [f"f{i + 1}" for i in range(self.features.shape[1])]

    def ranking_data(self, features: np.ndarray | None = None) -> RankingData:
        """Training data of this split (``features`` replaces the file's, e.g. logged ones)."""
        values = self.features if features is None else features
        return RankingData(values, self.labels, self.query_ids, self.feature_names())


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
    present = np.zeros((len(rows), width), dtype=bool)
    for i, row in enumerate(rows):
        for fid, value in row.items():
            if fid <= width:
                features[i, fid - 1] = value
                present[i, fid - 1] = True
    return LetorSplit(np.array(labels), np.array(qids), features, doc_ids, present)


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


def evaluate_fold(
    fold: Fold, empty: EmptyQueries, seed: int = 0, progress: Progress | None = None
) -> dict[str, Any]:
    """Test-set metrics of the engine path, the same booster natively, and LightGBM."""
    progress = progress or NoProgress()
    started = time.perf_counter()
    client = connect("embedded://:memory:")
    try:
        names = fold.train.feature_names()
        engine_path.create_feature_set(client, names)
        splits = {"train": fold.train, "vali": fold.vali, "test": fold.test}
        indices = {name: f"letor-fold{fold.number}-{name}" for name in splits}
        for name, split in splits.items():
            engine_path.index_split(client, indices[name], split, progress)
        train, vali = (
            split.ranking_data(engine_path.log_features(client, indices[name], split, progress))
            for name, split in (("train", fold.train), ("vali", fold.vali))
        )
        progress.stage("train xgboost and lightgbm", 2)
        booster = train_xgboost_lambdamart(train, vali, seed=seed)
        progress.advance()
        lightgbm = train_lightgbm_lambdarank(train, vali, seed=seed)
        progress.advance()
        model = f"letor-fold{fold.number}"
        engine_path.upload_model(client, model, booster)
        ranked = engine_path.rank_queries(client, indices["test"], fold.test, model, progress)
    finally:
        client.close()
    test = fold.test
    native = xgboost_scores(booster, test.features)
    baseline = np.asarray(lightgbm.predict(test.features, raw_score=True))
    engine_scores = order_scores(ranked.orders, len(test.labels))
    return {
        "documents": {name: len(split.labels) for name, split in splits.items()},
        "test_queries": len(ranked.orders),
        "trees": booster.num_boosted_rounds(),
        "engine": evaluate(test.labels, engine_scores, test.query_ids, empty=empty),
        "xgboost_native": evaluate(test.labels, native, test.query_ids, empty=empty),
        "lightgbm": evaluate(test.labels, baseline, test.query_ids, empty=empty),
        "engine_vs_native": compare(ranked, native, test),
        "seconds": round(time.perf_counter() - started, 1),
    }


def order_scores(orders: list[np.ndarray], rows: int) -> np.ndarray:
    """Scores under which each query's rows rank exactly in the given order (-position)."""
    scores = np.zeros(rows)
    for order in orders:
        scores[order] = -np.arange(len(order), dtype=np.float64)
    return scores


def compare(ranked: EngineRanking, native: np.ndarray, test: LetorSplit) -> dict[str, Any]:
    """How the engine's scores and rankings compare with the booster's own (float32) ones.

    The native ranking of a query is :func:`.metrics.ranking` of its scores: descending,
    ties in file order, which is the engine's tie order (Lucene document order).
    """
    native_orders = [rows[ranking(native[rows])] for _qid, rows in engine_path.query_groups(test)]
    same = sum(np.array_equal(a, b) for a, b in zip(ranked.orders, native_orders, strict=True))
    difference = np.abs(ranked.scores.astype(np.float64) - native.astype(np.float64))
    return {
        "queries": len(native_orders),
        "identical_rankings": int(same),
        "rows": len(native),
        "identical_scores": int(np.sum(ranked.scores == native.astype(np.float32))),
        "max_abs_score_difference": float(np.max(difference)) if len(difference) else 0.0,
    }


def identical(fold_result: dict[str, Any]) -> bool:
    check = fold_result["engine_vs_native"]
    return bool(
        check["identical_rankings"] == check["queries"]
        and check["identical_scores"] == check["rows"]
    )


def evaluate_folds(
    root: Path,
    folds: list[int],
    empty: EmptyQueries = "zero",
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The per-fold and mean table for ``mutuo eval letor``."""
    tables = [evaluate_fold(read_fold(root, number), empty, seed, progress) for number in folds]
    systems = ("engine", "xgboost_native", "lightgbm")
    means = {
        system: {
            metric: round(float(np.mean([t[system][metric] for t in tables])), 4)
            for metric in tables[0][system]
        }
        for system in (systems if tables else ())
    }
    return {
        "dataset": str(root),
        "folds": [{"fold": n, **t} for n, t in zip(folds, tables, strict=True)],
        "mean": means,
        "engine_equals_native": all(identical(t) for t in tables),
        "queries_without_relevant_documents": empty,
    }
