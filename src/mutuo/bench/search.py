"""``mutuo bench search``: query latency of the embedded engine on synthetic profiles.

Three queries per viewer, each viewer different (so only filters shared by every
viewer, like ``status: active``, are served from the per-refresh filter cache):

* ``filter``: the recommendation hard filter (term + terms + range + geo_distance);
* ``match``: BM25 ``match`` of the viewer's interests on ``bio``;
* ``function_score``: the match plus the filter, rescored by distance and recency
  decays and a field value factor.

Latency is measured in process (``Engine.handle``: request JSON in, response JSON
out) and through opensearch-py (the client round trip). The baseline is the same hard
filter written directly in numpy over prepared arrays, measured in the same run.
"""

from __future__ import annotations

import gc
import math
import os
import time
from typing import Any

import click
import numpy as np
import orjson

from ..client import connect
from ..demo.population import Member, generate_members
from ..engine.connection import EmbeddedConnection
from .common import emit, latency_stats, peak_rss_mb
from .engine import MAPPING

STATUSES = (
    "active",
    "active",
    "active",
    "active",
    "active",
    "active",
    "active",
    "active",
    "paused",
    "hidden",
)
NOW = "2026-11-01T00:00:00Z"
EARTH_RADIUS_M = 6_371_008.7714


def _population(n: int, seed: int) -> list[Member]:
    members = generate_members(n, seed=seed)
    for i, member in enumerate(members):
        member.profile["status"] = STATUSES[i % len(STATUSES)]
    return members


def hard_filter(viewer: Member) -> list[dict[str, Any]]:
    p = viewer.profile
    return [
        {"term": {"status": "active"}},
        {"terms": {"gender": p["seeking"]}},
        {"terms": {"seeking": [p["gender"]]}},
        {"range": {"age": {"gte": p["age_min"], "lte": p["age_max"]}}},
        {"geo_distance": {"distance": f"{p['max_distance_km']}km", "location": p["location"]}},
    ]


def filter_query(viewer: Member) -> dict[str, Any]:
    return {
        "size": 10,
        "query": {
            "bool": {"filter": hard_filter(viewer), "must_not": [{"ids": {"values": [viewer.id]}}]}
        },
    }


def match_query(viewer: Member) -> dict[str, Any]:
    return {"size": 10, "query": {"match": {"bio": " ".join(viewer.profile["interests"])}}}


def function_score_query(viewer: Member) -> dict[str, Any]:
    p = viewer.profile
    return {
        "size": 10,
        "query": {
            "function_score": {
                "query": {
                    "bool": {
                        "must": [{"match": {"bio": " ".join(p["interests"])}}],
                        "filter": hard_filter(viewer),
                    }
                },
                "functions": [
                    {"gauss": {"location": {"origin": p["location"], "scale": "10km"}}},
                    {"exp": {"last_active_at": {"origin": NOW, "scale": "2d"}}, "weight": 2},
                    {"field_value_factor": {"field": "age", "modifier": "log1p", "missing": 30}},
                ],
                "score_mode": "multiply",
                "boost_mode": "multiply",
            }
        },
    }


QUERIES = {"filter": filter_query, "match": match_query, "function_score": function_score_query}


class RawFilter:
    """The hard filter in plain numpy over arrays prepared once (the baseline)."""

    def __init__(self, members: list[Member]) -> None:
        profiles = [m.profile for m in members]
        self.active = np.array([p["status"] == "active" for p in profiles])
        self.is_man = np.array([p["gender"] == "man" for p in profiles])
        self.seeks_man = np.array(["man" in p["seeking"] for p in profiles])
        self.seeks_woman = np.array(["woman" in p["seeking"] for p in profiles])
        self.age = np.array([p["age"] for p in profiles], dtype=np.int64)
        self.lat = np.radians(np.array([p["location"]["lat"] for p in profiles]))
        self.lon = np.radians(np.array([p["location"]["lon"] for p in profiles]))
        self.position = {m.id: i for i, m in enumerate(members)}

    def top(self, viewer: Member, size: int = 10) -> np.ndarray:
        p = viewer.profile
        wants_men, wants_women = "man" in p["seeking"], "woman" in p["seeking"]
        gender_ok = (self.is_man & wants_men) | (~self.is_man & wants_women)
        seeks_viewer = self.seeks_man if p["gender"] == "man" else self.seeks_woman
        mask = (
            self.active
            & gender_ok
            & seeks_viewer
            & (self.age >= p["age_min"])
            & (self.age <= p["age_max"])
        )
        mask[self.position[viewer.id]] = False
        candidates = np.flatnonzero(mask)
        lat0, lon0 = math.radians(p["location"]["lat"]), math.radians(p["location"]["lon"])
        dlat = self.lat[candidates] - lat0
        dlon = self.lon[candidates] - lon0
        h = (
            np.sin(dlat / 2) ** 2
            + math.cos(lat0) * np.cos(self.lat[candidates]) * np.sin(dlon / 2) ** 2
        )
        near = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)) <= p["max_distance_km"] * 1000
        return candidates[near][:size]


def _index(client: Any, members: list[Member], batch: int = 2000) -> None:
    client.indices.create(
        index="profiles", body={"mappings": MAPPING, "settings": {"refresh_interval": "-1"}}
    )
    for i in range(0, len(members), batch):
        body: list[dict[str, Any]] = []
        for m in members[i : i + batch]:
            body.append({"index": {"_index": "profiles", "_id": m.id}})
            body.append(m.profile)
        if client.bulk(body=body)["errors"]:
            raise click.ClickException("bulk indexing reported item errors")
    client.indices.refresh(index="profiles")


def _measure(
    engine: Any, client: Any, build: Any, viewers: tuple[list[Member], list[Member], list[Member]]
) -> dict[str, Any]:
    """One query kind: warm up, then time in process and through the client."""
    warm, measured, through_client = viewers
    for viewer in warm:
        engine.handle("POST", "/profiles/_search", {}, orjson.dumps(build(viewer)))
    in_process, round_trip, hits = [], [], 0
    for viewer in measured:
        body = orjson.dumps(build(viewer))
        t0 = time.perf_counter()
        status, _headers, data = engine.handle("POST", "/profiles/_search", {}, body)
        in_process.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise click.ClickException(f"query failed: {data[:300]!r}")
        hits += len(orjson.loads(data)["hits"]["hits"])
    for viewer in through_client:
        body_obj = build(viewer)
        t0 = time.perf_counter()
        client.search(index="profiles", body=body_obj)
        round_trip.append((time.perf_counter() - t0) * 1000)
    return {
        "engine": latency_stats(in_process),
        "client_round_trip": latency_stats(round_trip),
        "mean_hits": round(hits / len(measured), 2),
    }


def run(n_docs: int, queries: int, seed: int) -> dict[str, Any]:
    members = _population(n_docs, seed)
    client = connect("embedded://:memory:")
    started = time.perf_counter()
    _index(client, members)
    index_s = time.perf_counter() - started
    connections = client.transport.connection_pool.connections
    engine = next(c for c in connections if isinstance(c, EmbeddedConnection)).engine
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(members), size=min(len(members), queries * 2 + 20), replace=False)
    viewers = [members[int(i)] for i in picked]
    groups = (viewers[:20], viewers[20 : 20 + queries], viewers[20 + queries :])
    raw = RawFilter(members)
    # Setup garbage (100k profile dicts) is long-lived: keep the collector from rescanning
    # it during measurements, as a long-running server would after its load phase.
    gc.collect()
    gc.freeze()
    report: dict[str, Any] = {"benchmark": "search", "docs": n_docs, "queries": queries}
    report["index_seconds"] = round(index_s, 2)
    for name, build in QUERIES.items():
        report[name] = _measure(engine, client, build, groups)
    raw_times = []
    for viewer in groups[1]:
        t0 = time.perf_counter()
        raw.top(viewer)
        raw_times.append((time.perf_counter() - t0) * 1000)
    report["raw_numpy_filter"] = latency_stats(raw_times)
    raw_p50 = report["raw_numpy_filter"]["p50_ms"]
    report["ratio_filter_p50_to_raw"] = round(report["filter"]["engine"]["p50_ms"] / raw_p50, 2)
    p50 = {k: report[k]["engine"]["p50_ms"] for k in QUERIES}
    report["targets"] = {
        "filter_p50_ms_under": 5.0,
        "scored_p50_ms_under": 10.0,
        "met": p50["filter"] < 5.0 and p50["match"] < 10.0 and p50["function_score"] < 10.0,
    }
    report["load_average_1m"] = round(os.getloadavg()[0], 2)
    report["peak_rss_mb"] = peak_rss_mb()
    gc.unfreeze()
    client.close()
    return report


@click.command(name="search")
@click.option("--docs", "n_docs", default=100_000, show_default=True, help="Profiles to index.")
@click.option("--queries", default=200, show_default=True, help="Measured queries per kind.")
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(n_docs: int, queries: int, seed: int, as_json: bool) -> None:
    """Search latency (filter, BM25 match, function_score) against a raw numpy filter.

    \b
    Example:
      mutuo bench search --docs 100000 --json
    """
    emit(run(n_docs, queries, seed), as_json)
