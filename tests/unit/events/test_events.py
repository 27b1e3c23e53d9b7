"""UBI events and queries land in the indices the artifacts define, in the UBI shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.errors import MutuoError
from mutuo.events import Event, format_timestamp, log_query, record

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def applied(memory_client: OpenSearch) -> OpenSearch:
    apply_plan(memory_client, make_plan(memory_client, load_artifacts(ROOT)), lambda _m: None)
    return memory_client


def test_recorded_events_are_searchable_by_viewer_and_action(applied: OpenSearch) -> None:
    at = datetime(2026, 11, 20, 9, 30, 1, 250_000, tzinfo=UTC)
    written = record(
        applied,
        [Event("m1", "like", "m2", at, query_id="q1", position=3), Event("m1", "pass", "m3", at)],
        refresh=True,
    )
    assert written == 2
    hits = applied.search(
        index="ubi_events",
        body={
            "query": {
                "bool": {
                    "filter": [{"term": {"client_id": "m1"}}, {"term": {"action_name": "like"}}]
                }
            }
        },
    )["hits"]["hits"]
    assert len(hits) == 1
    source = hits[0]["_source"]
    assert source["event_attributes"]["object"] == {"object_id": "m2", "object_id_field": "_id"}
    assert source["event_attributes"]["position"] == {"ordinal": 3}
    assert source["timestamp"] == "2026-11-20T09:30:01.250Z"


def test_logged_queries_keep_the_ranked_ids(applied: OpenSearch) -> None:
    query_id = log_query(
        applied, "m1", ["m5", "m2", "m9"], attributes={"variant": "a"}, refresh=True
    )
    doc = applied.get(index="ubi_queries", id=query_id)["_source"]
    assert doc["query_response_hit_ids"] == ["m5", "m2", "m9"]
    assert doc["client_id"] == "m1"


def test_unknown_actions_and_self_events_are_refused() -> None:
    with pytest.raises(MutuoError, match="unknown action"):
        Event("m1", "superlike", "m2")
    with pytest.raises(MutuoError, match="themselves"):
        Event("m1", "like", "m1")


def test_timestamps_are_strict_date_time_in_utc() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5, 6_000)
    assert format_timestamp(naive) == "2026-01-02T03:04:05.006Z"
