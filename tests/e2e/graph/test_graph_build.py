"""``mutuo graph build`` on the embedded engine: vectors from logged likes, written with
partial updates, and incremental runs that touch only members whose edges changed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.events import Event, record
from mutuo.graph import GraphBuildOptions, build_graph

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
SIDE = 12


@pytest.fixture
def market(memory_client: OpenSearch) -> OpenSearch:
    """Two taste clusters of SIDE men and SIDE women, likes within each cluster, plus a
    member with no edges at all."""
    apply_plan(memory_client, make_plan(memory_client, load_artifacts(ROOT)), lambda _m: None)
    ids = [f"{g}{i}" for g in "mw" for i in range(2 * SIDE)] + ["loner"]
    body: list[dict[str, object]] = []
    for member in ids:
        body += [{"create": {"_index": "profiles", "_id": member}}, {"status": "active"}]
    assert not memory_client.bulk(body=body, refresh=True)["errors"]
    rng = np.random.default_rng(3)
    events = []
    for cluster in range(2):
        group = range(cluster * SIDE, (cluster + 1) * SIDE)
        for m in group:
            for w in group:
                if rng.random() < 0.6:
                    events.append(Event(f"m{m}", "like", f"w{w}", T0))
                if rng.random() < 0.6:
                    events.append(Event(f"w{w}", "like", f"m{m}", T0))
    record(memory_client, events)
    return memory_client


def vector(client: OpenSearch, member: str) -> np.ndarray:
    return np.array(client.get(index="profiles", id=member)["_source"]["graph_vector"])


def options(tmp_path: Path, **kw: object) -> GraphBuildOptions:
    """A rank far below the number of members, as 64 is in a real marketplace."""
    return GraphBuildOptions(state=tmp_path / "graph", rank=4, **kw)  # type: ignore[arg-type]


def test_first_build_is_full_and_writes_every_member_with_edges(
    market: OpenSearch, tmp_path: Path
) -> None:
    report = build_graph(market, options(tmp_path))
    assert report.mode == "full"
    assert report.members == report.written == 4 * SIDE
    assert len(vector(market, "m0")) == 64
    assert "graph_vector" not in market.get(index="profiles", id="loner")["_source"]
    assert market.get(index="profiles", id="m0")["_source"]["status"] == "active"  # partial


def test_members_who_like_the_same_people_are_nearest_neighbours_in_the_index(
    market: OpenSearch, tmp_path: Path
) -> None:
    build_graph(market, options(tmp_path))
    body = {
        "size": SIDE - 2,
        "query": {
            "knn": {
                "graph_vector": {
                    "vector": vector(market, "m1").tolist(),
                    "k": SIDE,
                    "filter": {"ids": {"values": [f"m{i}" for i in range(2, 2 * SIDE)]}},
                }
            }
        },
    }
    hits = [h["_id"] for h in market.search(index="profiles", body=body)["hits"]["hits"]]
    assert len(hits) == SIDE - 2
    assert sum(h in {f"m{i}" for i in range(SIDE)} for h in hits) >= SIDE - 3


def test_an_incremental_build_rewrites_only_the_ends_of_new_edges(
    market: OpenSearch, tmp_path: Path
) -> None:
    build_graph(market, options(tmp_path))
    before = {m: market.get(index="profiles", id=m)["_seq_no"] for m in ("m0", "w20", "m5", "w3")}
    record(market, [Event("m0", "like", "w20", T0)])
    report = build_graph(market, options(tmp_path))
    assert (report.mode, report.changed, report.written) == ("incremental", 2, 2)
    after = {m: market.get(index="profiles", id=m)["_seq_no"] for m in before}
    assert after["m0"] > before["m0"] and after["w20"] > before["w20"]
    assert after["m5"] == before["m5"] and after["w3"] == before["w3"]
    again = build_graph(market, options(tmp_path))
    assert (again.mode, again.written) == ("incremental", 0)


def test_a_newcomer_is_folded_in_next_to_the_cluster_they_like(
    market: OpenSearch, tmp_path: Path
) -> None:
    build_graph(market, options(tmp_path))
    market.index(index="profiles", id="new", body={"status": "active"}, refresh=True)
    record(market, [Event("new", "like", f"w{w}", T0) for w in range(SIDE, SIDE + 6)])
    report = build_graph(market, options(tmp_path))
    assert report.mode == "incremental" and report.written == 7  # new + 6 women
    new = vector(market, "new")
    assert new @ vector(market, f"m{SIDE + 1}") > new @ vector(market, "m1") + 0.3


def test_refactorises_once_too_much_was_folded_in(market: OpenSearch, tmp_path: Path) -> None:
    build_graph(market, options(tmp_path, max_folded_share=0.05))
    record(market, [Event(f"m{i}", "like", f"w{i + SIDE}", T0) for i in range(3)])
    report = build_graph(market, options(tmp_path, max_folded_share=0.05))
    assert report.mode == "full" and "folded" in report.reason


def test_a_member_deleted_since_their_likes_is_counted_missing(
    market: OpenSearch, tmp_path: Path
) -> None:
    market.delete(index="profiles", id="w0", refresh=True)
    report = build_graph(market, options(tmp_path))
    assert report.missing == 1 and report.written == 4 * SIDE - 1


def test_no_events_means_an_empty_build(memory_client: OpenSearch, tmp_path: Path) -> None:
    apply_plan(memory_client, make_plan(memory_client, load_artifacts(ROOT)), lambda _m: None)
    report = build_graph(memory_client, options(tmp_path))
    assert (report.mode, report.written) == ("empty", 0)
