"""``mutuo bench ltr`` and ``mutuo eval letor`` run end to end and print JSON."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from mutuo.cli.app import cli


def test_bench_ltr_reports_each_stage_with_identical_model_outputs() -> None:
    args = ["bench", "ltr", "--docs", "300", "--window", "50", "--trees", "10", "--depth", "3"]
    args += ["--repeat", "3", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    model = report["model_inference"]
    assert report["features"] == 40
    assert model["matrix"] == [50, 40]
    assert model["max_abs_difference_engine_vs_xgboost"] < 1e-5
    for stage in (model["engine_compiled_model"], model["xgboost_inplace_predict_1_thread"]):
        assert stage["n"] == 3
    for name in ("sltr_window_rescore", "search_with_rescore", "search_without_rescore"):
        assert report[name]["n"] == 3
    assert report["target"]["met"] == (report["sltr_window_rescore"]["p50_ms"] <= 5.0)
    parts = set(report["in_process_breakdown_p50_ms"])
    assert {"parse_and_prepare_features", "features_all", "model"} <= parts


def _write_fold(folder: Path, rng: np.random.Generator) -> None:
    folder.mkdir(parents=True)
    for number, split in enumerate(("train", "vali", "test")):
        lines = []
        for query in range(12):
            for _ in range(8):
                x = rng.random(5)
                label = int(x[0] > 0.6) + int(x[1] > 0.8)
                features = " ".join(f"{i + 1}:{v:.4f}" for i, v in enumerate(x))
                lines.append(f"{label} qid:{number * 100 + query} {features} #docid = d\n")
        with gzip.open(folder / f"{split}.txt.gz", "wt") as handle:
            handle.write("".join(lines))


def test_eval_letor_reports_each_fold_and_the_mean(tmp_path: Path) -> None:
    _write_fold(tmp_path / "Fold1", np.random.default_rng(0))
    args = ["eval", "letor", str(tmp_path), "--folds", "1", "--json", "--silent"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["queries_without_relevant_documents"] == "zero"
    assert [f["fold"] for f in report["folds"]] == [1]
    assert set(report["mean"]) == {"engine", "xgboost_native", "lightgbm"}
    assert set(report["mean"]["lightgbm"]) == {"ndcg@1", "ndcg@3", "ndcg@5", "ndcg@10", "map"}
    assert report["engine_equals_native"] is True
    assert report["mean"]["engine"] == report["mean"]["xgboost_native"]
    # the signal is in features 1 and 2: both rankers beat the 0.5-ish of a random order
    assert report["mean"]["xgboost_native"]["ndcg@10"] > 0.7


def test_eval_letor_help_names_the_ndcg_definition_flag() -> None:
    result = CliRunner().invoke(cli, ["eval", "letor", "--help"])
    assert result.exit_code == 0
    assert "--empty-queries [zero|exclude]" in result.output
    assert "2^label - 1" in result.output
