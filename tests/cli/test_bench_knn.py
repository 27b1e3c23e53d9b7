"""``mutuo bench knn`` runs end to end and reports what the issue asks for."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mutuo.cli.app import cli


def test_bench_knn_reports_recall_latency_and_the_raw_faiss_ratio() -> None:
    args = [
        "bench",
        "knn",
        "--docs",
        "600",
        "--dim",
        "8",
        "--queries",
        "10",
        "--repeat",
        "5",
        "--json",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["recall_at_10"]) == {"unfiltered", "filter_10pct", "filter_0_5pct"}
    assert report["recall_at_10"]["filter_0_5pct"] == 1.0  # 3 docs pass: exact search
    assert all(0.5 <= r <= 1.0 for r in report["recall_at_10"].values())
    for key in (
        "raw_faiss",
        "knn_query_only",
        "knn_unfiltered",
        "knn_filter_10pct",
        "knn_filter_0_5pct",
        "hybrid_min_max_arithmetic",
    ):
        assert report["latency_ms"][key]["n"] == 5
    assert report["overhead_over_raw_faiss_p50"]["knn_query_only"] > 0
