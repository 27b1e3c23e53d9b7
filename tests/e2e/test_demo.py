"""The demo syncs its members from the change log into ``profiles`` (with embeddings) and
its searches return what they claim."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from mutuo.demo.run import INDEX, DemoReport, run_demo
from mutuo.sync.embedder import Embedder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield Embedder()


@pytest.fixture
def report(memory_client: OpenSearch, tmp_path: Path, embedder: Embedder) -> DemoReport:
    return run_demo(
        memory_client,
        members=200,
        seed=3,
        root=ROOT,
        log=tmp_path / "changes.jsonl",
        state=tmp_path / "state",
        embedder=embedder,
    )


def test_demo_syncs_every_member_through_the_change_log(
    memory_client: OpenSearch, report: DemoReport
) -> None:
    assert memory_client.count(index=INDEX)["count"] == 200
    assert report.written == 200 and report.embedded == 200
    (concrete,) = memory_client.indices.get_mapping(index=INDEX)
    mapping = memory_client.indices.get_mapping(index=INDEX)[concrete]["mappings"]
    assert mapping["properties"]["location"]["type"] == "geo_point"
    assert len(memory_client.get(index=INDEX, id="m000000")["_source"]["profile_vector"]) == 384
    assert report.searches and all(s["hits"] for s in report.searches)


def test_demo_filter_search_returns_only_mutual_candidates(
    memory_client: OpenSearch, report: DemoReport
) -> None:
    viewer = memory_client.get(index=INDEX, id="m000000")["_source"]
    mutual = report.searches[1]
    for hit in mutual["hits"]:
        doc = memory_client.get(index=INDEX, id=hit["id"])["_source"]
        assert doc["gender"] in viewer["seeking"]
        assert viewer["gender"] in doc["seeking"]
