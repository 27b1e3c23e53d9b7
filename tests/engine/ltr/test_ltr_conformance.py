"""The LTR plugin's own REST YAML tests (fstore/*) all pass on the embedded engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutuo.engine.conformance import PASSED, run_suite

SUITE = Path(__file__).resolve().parents[4] / "shared" / "conformance"


def test_every_ltr_conformance_section_passes() -> None:
    if not SUITE.exists():
        pytest.skip(f"conformance files {SUITE} are absent")
    report = run_suite([SUITE], include=["fstore/*"])
    assert len(report.results) == 24
    assert [(r.test_id, r.reason) for r in report.results if r.status != PASSED] == []
