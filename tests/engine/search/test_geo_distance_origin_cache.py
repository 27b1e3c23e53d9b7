"""``geo_distance`` around one origin, asked many radii: cached distances, same answers.

Once the rows asked about an origin add up to the shard, every document's distance is
computed once per refresh; the answers must equal those of a fresh engine that never cached, and a refresh (new,
moved or deleted documents) must not serve the old distances.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

import mutuo

RADII = ["1km", "5km", "20km", "100km", "500km", "2000km", "20040km"]


def _load(client: OpenSearch, n: int, seed: int) -> None:
    client.indices.create(
        index="places", body={"mappings": {"properties": {"location": {"type": "geo_point"}}}}
    )
    rng = np.random.default_rng(seed)
    body: list[object] = []
    for i in range(n):
        lat, lon = 48.85 + rng.normal(0, 2), 2.35 + rng.normal(0, 3)
        body += [{"index": {"_index": "places", "_id": str(i)}}, {"location": [lon, lat]}]
    client.bulk(body=body, refresh=True)


def _ids(client: OpenSearch, distance: str, lat: float, lon: float) -> set[str]:
    query = {"geo_distance": {"distance": distance, "location": {"lat": lat, "lon": lon}}}
    body = {"query": {"bool": {"filter": [query]}}, "size": 1000, "_source": False}
    return {h["_id"] for h in client.search(index="places", body=body)["hits"]["hits"]}


def _one_radius_per_engine(distance: str, lat: float, lon: float) -> set[str]:
    fresh = mutuo.connect("embedded://:memory:")
    try:
        _load(fresh, 400, seed=3)
        return _ids(fresh, distance, lat, lon)
    finally:
        fresh.close()


def test_many_radii_around_one_origin_match_uncached_answers(memory_client: OpenSearch) -> None:
    _load(memory_client, 400, seed=3)
    for lat, lon in [(48.85, 2.35), (50.0, 0.5), (48.85, 2.35)]:
        cached = [_ids(memory_client, r, lat, lon) for r in RADII]
        assert cached == [_one_radius_per_engine(r, lat, lon) for r in RADII]
        assert len(cached[0]) < len(cached[3]) < len(cached[-1]) == 400


def test_refresh_drops_cached_distances(memory_client: OpenSearch) -> None:
    _load(memory_client, 50, seed=5)
    origin = (10.0, 10.0)
    assert _ids(memory_client, "5km", *origin) == set()
    assert _ids(memory_client, "10km", *origin) == set()  # the origin's distances cached
    memory_client.index(index="places", id="near", body={"location": [10.0, 10.01]})
    memory_client.index(index="places", id="3", body={"location": [10.02, 10.0]})
    memory_client.indices.refresh(index="places")
    assert _ids(memory_client, "5km", *origin) == {"near", "3"}
    memory_client.delete(index="places", id="near", refresh=True)
    assert _ids(memory_client, "10km", *origin) == {"3"}


def _rescored(client: OpenSearch, condition: dict[str, Any], lat: float, lon: float) -> Any:
    """Hits kept by ``condition``, rescored by a ``gauss`` decay around (lat, lon) over a
    window (the LTR ``proximity`` feature's shape and stage)."""
    decay = {"gauss": {"location": {"origin": {"lat": lat, "lon": lon}, "scale": "50km"}}}
    body = {
        "query": {"bool": {"filter": [condition]}},
        "rescore": {"window_size": 60, "query": {"rescore_query": {"function_score": decay}}},
        "size": 60,
        "_source": False,
    }
    hits = client.search(index="places", body=body)["hits"]["hits"]
    return [(h["_id"], h["_score"]) for h in hits]


def test_a_decay_reads_the_distances_a_filter_on_its_origin_measured(
    memory_client: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mutuo.engine.queries import geo_distance

    _load(memory_client, 400, seed=7)
    lat, lon = 48.85, 2.35
    kept = sorted(_ids(memory_client, "300km", lat, lon))
    fresh = geo_distance.point_meters
    by_decay: list[int] = []  # rows the decay measured itself

    def counted(*args: Any) -> np.ndarray:
        if any(frame.filename.endswith("decay.py") for frame in inspect.stack()):
            by_decay.append(len(args[-1]))
        return fresh(*args)

    monkeypatch.setattr(geo_distance, "point_meters", counted)
    alone = _rescored(memory_client, {"ids": {"values": kept}}, lat, lon)
    assert sum(by_decay) == len(alone) == 60  # nothing measured its window before
    by_decay.clear()
    # a radius not asked before (the filter cache does not answer): the filter measures
    near = {"geo_distance": {"distance": "301km", "location": {"lat": lat, "lon": lon}}}
    together = _rescored(memory_client, near, lat, lon)
    assert together == alone  # the same scores, to the bit
    assert by_decay == []  # the window's distances were read back
