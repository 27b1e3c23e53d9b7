"""Reading LETOR-format files, and the LETOR evaluation on MQ2008 when it is present."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from mutuo.engine.ltr.elements import StoredFeature, StoredFeatureSet
from mutuo.engine.ltr.features import compile_featureset
from mutuo.engine.ltr.rankers import parse_ranker
from mutuo.evaluation.letor import evaluate_fold, parse_folds, read_fold, read_split
from mutuo.evaluation.metrics import evaluate
from mutuo.ltr import export
from mutuo.ltr.train import train_xgboost_lambdamart, xgboost_scores

LINES = (
    "2 qid:10 1:0.5 3:1.0 #docid = GX-1 inc = 1\n"
    "0 qid:10 2:0.25 #docid = GX-2\n"
    "\n"
    "1 qid:11 1:1.0 2:1.0 3:1.0\n"
)


@pytest.mark.parametrize("compressed", [False, True])
def test_read_split_builds_dense_features_with_zeros_for_absent_ids(
    tmp_path: Path, compressed: bool
) -> None:
    path = tmp_path / ("train.txt.gz" if compressed else "train.txt")
    if compressed:
        with gzip.open(path, "wt") as handle:
            handle.write(LINES)
    else:
        path.write_text(LINES)
    split = read_split(path)
    assert list(split.labels) == [2, 0, 1]
    assert list(split.query_ids) == [10, 10, 11]
    np.testing.assert_array_equal(split.features[1], [0.0, 0.25, 0.0])
    assert split.doc_ids[:2] == ["GX-1", "GX-2"]
    assert split.ranking_data().group_sizes() == [2, 1]


def test_fold_specs() -> None:
    assert parse_folds("1-5") == [1, 2, 3, 4, 5]
    assert parse_folds("1,3") == [1, 3]


@pytest.fixture
def mq2008(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "letor" / "mq2008"
    if not path.exists():
        pytest.skip(f"LETOR MQ2008 is absent at {path}")
    return path


def test_mq2008_folds_have_46_features_and_graded_labels(mq2008: Path) -> None:
    fold = read_fold(mq2008, 1)
    assert fold.train.features.shape == (9630, 46)
    assert fold.test.features.shape[1] == 46
    assert set(np.unique(fold.train.labels)) == {0, 1, 2}


@pytest.mark.slow
def test_lambdamart_trained_on_mq2008_scores_the_same_compiled_by_the_engine(mq2008: Path) -> None:
    fold = read_fold(mq2008, 1)
    train, vali, test = (s.ranking_data() for s in (fold.train, fold.vali, fold.test))
    booster = train_xgboost_lambdamart(train, vali)
    features = [StoredFeature(n, [], "mustache", {"match_all": {}}) for n in train.feature_names]
    feature_set = compile_featureset(StoredFeatureSet("letor", features))
    definition = json.dumps(export.xgboost_json_definition(booster))
    ranker = parse_ranker("model/xgboost+json", feature_set, definition)
    np.testing.assert_allclose(
        ranker.score(test.features), xgboost_scores(booster, test.features), atol=1e-5
    )


@pytest.mark.slow
def test_both_rankers_beat_a_random_ranking_on_mq2008(mq2008: Path) -> None:
    fold = read_fold(mq2008, 1)
    result = evaluate_fold(fold, empty="zero")
    noise = np.random.default_rng(0).random(len(fold.test.labels))
    random = evaluate(fold.test.labels, noise, fold.test.query_ids)["ndcg@10"]
    assert result["xgboost_native"]["ndcg@10"] > random + 0.05
    assert result["lightgbm"]["ndcg@10"] > random + 0.05
