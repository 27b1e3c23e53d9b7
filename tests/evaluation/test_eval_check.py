"""``mutuo eval check`` reruns the regression matrix and fails, readably, on drift."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from mutuo.cli.app import cli
from mutuo.errors import ConfigError
from mutuo.evaluation.regression import Condition, Expectation, compare, load_matrix, resolve

POINTER = "/mean/xgboost_native/ndcg@10"


def _letor_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    folder = root / "data" / "Fold1"
    folder.mkdir(parents=True)
    for number, split in enumerate(("train", "vali", "test")):
        lines = []
        for query in range(10):
            for _ in range(6):
                x = rng.random(4)
                label = int(x[0] > 0.6) + int(x[1] > 0.8)
                features = " ".join(f"{i + 1}:{v:.4f}" for i, v in enumerate(x))
                lines.append(f"{label} qid:{number * 100 + query} {features}\n")
        with gzip.open(folder / f"{split}.txt.gz", "wt") as handle:
            handle.write("".join(lines))
    return folder.parent


def _matrix(root: Path, conditions: list[dict]) -> Path:  # type: ignore[type-arg]
    path = root / "evaluation" / "expected.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"conditions": conditions}))
    return path


def test_check_passes_within_tolerance_and_fails_with_a_readable_diff(tmp_path: Path) -> None:
    _letor_folder(tmp_path)
    command = "mutuo eval letor data --folds 1 --json"
    first = CliRunner().invoke(
        cli, ["eval", "letor", str(tmp_path / "data"), "--folds", "1", "--json"]
    )
    value = resolve(json.loads(first.output), POINTER)
    matrix = _matrix(
        tmp_path,
        [
            {
                "name": "holds",
                "command": command,
                "fast": True,
                "expect": {POINTER: {"value": value, "tolerance": 0.001}},
            },
            {
                "name": "drifted",
                "command": command,
                "fast": True,
                "expect": {POINTER: {"value": value + 0.05, "tolerance": 0.01}},
            },
            {
                "name": "slow-one",
                "command": command,
                "fast": False,
                "expect": {POINTER: {"value": 0.0, "tolerance": 0.0}},
            },
            {
                "name": "needs-data",
                "command": command,
                "fast": True,
                "requires": ["absent/folder"],
                "expect": {POINTER: {"value": 0.0, "tolerance": 0.0}},
            },
        ],
    )
    result = CliRunner().invoke(cli, ["eval", "check", "--file", str(matrix), "--fast"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "OK      holds" in lines
    assert "DRIFT   drifted" in lines
    assert "SKIPPED needs-data" in lines
    assert not any("slow-one" in line for line in lines)
    drift_line = next(line for line in lines if "DRIFT -0.05" in line)
    assert f"expected {value + 0.05:g} ± 0.01, got {value:g}" in drift_line
    passing = CliRunner().invoke(cli, ["eval", "check", "--file", str(matrix), "--only", "holds"])
    assert passing.exit_code == 0, passing.output
    assert "1 of 1 conditions hold" in passing.output


def test_a_missing_value_is_drift_and_malformed_matrices_are_refused(tmp_path: Path) -> None:
    condition = Condition("c", "mutuo eval x --json", True, [Expectation("/a/b", 1.0, 0.1)])
    outcome = compare(condition, {"a": {"c": 1.0}})
    assert outcome.status == "drift"
    assert outcome.lines == ["/a/b: expected 1, missing from the output"]
    assert compare(condition, {"a": {"b": 1.05}}).status == "ok"
    with pytest.raises(ConfigError, match="--json"):
        Condition("c", "mutuo eval x", True, []).arguments()
    bad = _matrix(
        tmp_path,
        [{"name": "x", "command": "mutuo eval x --json", "expect": {"no/pointer": {"value": 1}}}],
    )
    with pytest.raises(ConfigError, match="pointer"):
        load_matrix(bad)


def test_json_pointers_unescape_slashes_and_index_lists() -> None:
    document = {"a/b": [{"ndcg@10": 0.5}]}
    assert resolve(document, "/a~1b/0/ndcg@10") == 0.5
    with pytest.raises(KeyError):
        resolve(document, "/missing")
