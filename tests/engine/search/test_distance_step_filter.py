"""The recommend template's "within both limits" filter: a ``bool`` of distance clauses
runs after its cheap siblings, on the documents they left (a domain), and what it
computes there never leaks into the per-refresh filter cache as a whole-shard answer.

The oracle is a fresh engine answering each clause alone at the top level (no domain).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from opensearchpy import OpenSearch

import mutuo

STEPS = [1, 5, 25, 100, 500]
ORIGIN = {"lat": 48.85, "lon": 2.35}


def _load(client: OpenSearch, seed: int) -> None:
    mappings = {
        "status": {"type": "keyword"},
        "step": {"type": "integer"},
        "location": {"type": "geo_point"},
    }
    client.indices.create(index="people", body={"mappings": {"properties": mappings}})
    rng = np.random.default_rng(seed)
    body: list[Any] = []
    for i in range(300):
        doc: dict[str, Any] = {
            "status": "active" if i % 5 == 0 else "paused",
            "location": {"lat": 48.85 + rng.normal(0, 1.5), "lon": 2.35 + rng.normal(0, 2)},
        }
        if i % 7:
            doc["step"] = int(rng.choice(STEPS))
        body += [{"index": {"_index": "people", "_id": str(i)}}, doc]
    client.bulk(body=body, refresh=True)


def _within(step: int) -> dict[str, Any]:
    return {"geo_distance": {"distance": f"{step}km", "location": ORIGIN}}


def _step_filter() -> dict[str, Any]:
    branches = [{"bool": {"filter": [{"term": {"step": s}}, _within(s)]}} for s in STEPS]
    no_step = {"bool": {"must_not": {"exists": {"field": "step"}}}}
    return {"bool": {"should": [no_step, *branches]}}


def _ids(client: OpenSearch, query: dict[str, Any]) -> set[str]:
    body = {"query": query, "size": 1000, "_source": False}
    return {h["_id"] for h in client.search(index="people", body=body)["hits"]["hits"]}


def _oracle() -> tuple[set[str], dict[int, set[str]], dict[int, set[str]]]:
    fresh = mutuo.connect("embedded://:memory:")
    try:
        _load(fresh, seed=11)
        active = _ids(fresh, {"term": {"status": "active"}})
        steps = {s: _ids(fresh, {"term": {"step": s}}) for s in STEPS}
        near = {s: _ids(fresh, _within(s)) for s in STEPS}
        return active, steps, near
    finally:
        fresh.close()


def test_distance_bool_in_a_small_domain_matches_its_clauses_alone(
    memory_client: OpenSearch,
) -> None:
    _load(memory_client, seed=11)
    active, steps, near = _oracle()
    everyone = _ids(memory_client, {"match_all": {}})
    stepless = everyone - set().union(*steps.values())
    expected = active & (stepless | set().union(*(steps[s] & near[s] for s in STEPS)))
    query = {"bool": {"filter": [{"term": {"status": "active"}}, _step_filter()]}}
    assert len(active) < len(everyone) / 2  # the distance bool runs in a domain
    assert _ids(memory_client, query) == expected
    assert 0 < len(expected) < len(active)
    # what ran inside the domain answers for the whole shard afterwards
    for s in STEPS:
        assert _ids(memory_client, {"bool": {"filter": [{"term": {"step": s}}]}}) == steps[s]
        assert _ids(memory_client, {"bool": {"filter": [_within(s)]}}) == near[s]
    assert _ids(memory_client, {"bool": {"filter": [_step_filter()]}}) == stepless | set().union(
        *(steps[s] & near[s] for s in STEPS)
    )
