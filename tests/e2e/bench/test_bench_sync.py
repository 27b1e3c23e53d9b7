"""``mutuo bench sync`` end to end on a small population: every part of the report is
measured on what it claims (counts, not timings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutuo.bench.sync import run

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_the_sync_bench_reports_each_measurement() -> None:
    report = run(ROOT, n_docs=60, batch_size=16, rate=20.0, latency_s=1.0, seed=5)
    assert report["raw_embedding"]["texts"] == 60
    with_embeddings = report["sync_with_embeddings"]
    assert (
        with_embeddings["changes"] == 60
        and with_embeddings["indexed"] == 60
        and with_embeddings["embedded"] == 60
    )
    without = report["sync_without_new_embeddings"]
    assert without["changes"] == 60 and without["embedded"] == 60  # totals: nothing new embedded
    assert with_embeddings["cpu_ms_per_doc"] > 0 and without["cpu_ms_per_doc"] > 0
    assert without["where_time_goes"]["changes"] == 60
    # only last_active_at changed: trimmed updates, far from a whole profile's ~850 bytes
    assert without["where_time_goes"]["bulk_bytes_per_doc"] < 400
    latency = report["change_to_searchable"]
    assert latency["changes"] == 20 and latency["not_seen"] == 0 and latency["n"] == 20
