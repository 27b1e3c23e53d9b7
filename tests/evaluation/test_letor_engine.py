"""The LETOR evaluation's engine column: the whole LTR plugin path ranks like XGBoost itself."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from opensearchpy import OpenSearch

from mutuo.evaluation import letor_engine
from mutuo.evaluation.letor import Fold, LetorSplit, evaluate_fold, read_fold, read_split
from mutuo.evaluation.letor_engine import LetorCheckError, NoProgress
from mutuo.evaluation.metrics import evaluate


def _write_split(path: Path, rng: np.random.Generator, first_query: int) -> None:
    """8 queries x 10 documents; signal in features 1-2; absent ids; duplicated rows."""
    lines = []
    for query in range(first_query, first_query + 8):
        rows = rng.random((10, 5)).round(4)
        rows[3] = rows[7]  # identical features: the two documents tie under any model
        labels = (rows[:, 0] > 0.6).astype(int) + (rows[:, 1] > 0.8).astype(int)
        labels[3], labels[7] = 2, 0  # ...with different labels, so the tie order matters
        for row, label in zip(rows, labels, strict=True):
            pairs = [f"{i + 1}:{v:.4f}" for i, v in enumerate(row) if not (i == 4 and v < 0.3)]
            lines.append(f"{label} qid:{query} {' '.join(pairs)} #docid = D{query}-{len(lines)}\n")
    path.write_text("".join(lines))


@pytest.fixture
def synthetic_fold(tmp_path: Path) -> Fold:
    rng = np.random.default_rng(3)
    for number, name in enumerate(("train", "vali", "test")):
        _write_split(tmp_path / f"{name}.txt", rng, 100 * number)
    train = read_split(tmp_path / "train.txt", 5)
    vali, test = (read_split(tmp_path / f"{n}.txt", 5) for n in ("vali", "test"))
    return Fold(1, train, vali, test)


def test_engine_ranking_equals_xgboost_including_ties_and_absent_features(
    synthetic_fold: Fold,
) -> None:
    assert not synthetic_fold.test.present.all()  # some feature ids are absent from lines
    result = evaluate_fold(synthetic_fold, empty="zero")
    assert result["engine"] == result["xgboost_native"]
    check = result["engine_vs_native"]
    assert check["identical_rankings"] == check["queries"] == 8
    assert check["identical_scores"] == check["rows"] == 80
    assert check["max_abs_score_difference"] == 0.0
    assert result["documents"] == {"train": 80, "vali": 80, "test": 80}


def test_breaking_ties_the_other_way_would_change_the_metrics(synthetic_fold: Fold) -> None:
    """Guards the test above: the synthetic ties are at positions where order matters."""
    test = synthetic_fold.test
    scores = np.zeros(len(test.labels))
    scores[3::10] = scores[7::10] = 1.0  # the tied pair on top of each query
    reversed_ties = scores.copy()
    reversed_ties[7::10] += 1e-9
    first = evaluate(test.labels, scores, test.query_ids)
    assert first != evaluate(test.labels, reversed_ties, test.query_ids)


def test_logged_features_are_the_engines_values(
    memory_client: OpenSearch, synthetic_fold: Fold
) -> None:
    split = synthetic_fold.vali
    letor_engine.create_feature_set(memory_client, split.feature_names())
    letor_engine.index_split(memory_client, "vali", split, NoProgress())
    logged = letor_engine.log_features(memory_client, "vali", split, NoProgress())
    np.testing.assert_array_equal(logged, split.features)
    memory_client.update(index="vali", id="12", body={"doc": {"f2": 0.5}}, refresh=True)
    with pytest.raises(LetorCheckError, match=r"feature f2 of row 12 was logged as 0\.5"):
        letor_engine.log_features(memory_client, "vali", split, NoProgress())


def _first_queries(split: LetorSplit, count: int) -> LetorSplit:
    keep = np.isin(split.query_ids, np.unique(split.query_ids)[:count])
    return LetorSplit(
        split.labels[keep],
        split.query_ids[keep],
        split.features[keep],
        [d for d, k in zip(split.doc_ids, keep, strict=True) if k],
        split.present[keep],
    )


@pytest.mark.slow
def test_engine_equals_native_on_a_slice_of_mq2008_fold1(shared_dir: Path) -> None:
    root = shared_dir / "data" / "letor" / "mq2008"
    if not root.exists():
        pytest.skip(f"LETOR MQ2008 is absent at {root} (../shared/data is not mounted)")
    fold = read_fold(root, 1)
    sliced = dataclasses.replace(
        fold,
        train=_first_queries(fold.train, 60),
        vali=_first_queries(fold.vali, 20),
        test=_first_queries(fold.test, 30),
    )
    result = evaluate_fold(sliced, empty="exclude")
    assert result["engine"] == result["xgboost_native"]
    check = result["engine_vs_native"]
    assert check["identical_rankings"] == check["queries"] == 30
    assert check["identical_scores"] == check["rows"]
