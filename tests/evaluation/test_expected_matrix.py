"""CI's share of the regression matrix: the fast conditions of evaluation/expected.yaml
must hold (each one skips, with its reason, when its data is absent)."""

from __future__ import annotations

from pathlib import Path

from mutuo.evaluation.regression import check, load_matrix, run_in_process

MATRIX = Path(__file__).resolve().parents[2] / "evaluation" / "expected.yaml"


def test_every_condition_names_a_json_mutuo_command_and_some_are_fast() -> None:
    conditions = load_matrix(MATRIX)
    assert {c.name for c in conditions if c.fast}
    for condition in conditions:
        assert condition.arguments()[-1] == "--json" or "--json" in condition.arguments()
        assert condition.expect, f"{condition.name} checks nothing"


def test_the_fast_conditions_hold() -> None:
    fast = [c for c in load_matrix(MATRIX) if c.fast]
    outcomes = check(fast, MATRIX.parent.parent, runner=run_in_process)
    failed = {o.name: o.lines for o in outcomes if o.status in ("drift", "error")}
    assert not failed, failed
    assert len(outcomes) == len(fast)
