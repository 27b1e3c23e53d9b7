"""The recommendation hard filter, checked against the benchmark's plain-numpy oracle."""

from __future__ import annotations

from opensearchpy import OpenSearch

from mutuo.bench.search import QUERIES, RawFilter, _index, _population, filter_query, run


def test_engine_filter_equals_numpy_filter(memory_client: OpenSearch) -> None:
    members = _population(2000, seed=11)
    _index(memory_client, members)
    raw = RawFilter(members)
    for viewer in members[:25]:
        body = filter_query(viewer)
        body["size"] = 2000
        hits = memory_client.search(index="profiles", body=body)["hits"]
        expected = [members[i].id for i in raw.top(viewer, size=2000)]
        assert [h["_id"] for h in hits["hits"]] == expected
        assert hits["total"]["value"] == len(expected)


def test_bench_report_has_every_query_kind() -> None:
    report = run(n_docs=400, queries=5, seed=3)
    for kind in QUERIES:
        assert report[kind]["engine"]["n"] == 5
        assert report[kind]["client_round_trip"]["n"] == 5
    assert report["raw_numpy_filter"]["n"] == 5
    assert report["ratio_filter_p50_to_raw"] > 0
