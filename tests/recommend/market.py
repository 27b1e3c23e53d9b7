"""A small marketplace on a real embedded engine: the project's artifacts applied, members
indexed as the sync and the signals worker write them, viewer_state as the signals worker
keeps it. Vectors are synthetic (unit vectors around a few taste clusters), so tests run
without the embedding model."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.recommend import RankingOptions, Recommender
from mutuo.sync.derive import DISTANCE_STEPS_KM

ROOT = Path(__file__).resolve().parents[2]
DIM = 384
GRAPH_DIM = 64
HOME = (37.7749, -122.4194)  # San Francisco
EARTH_RADIUS_M = 6_371_008.7714


def apply_artifacts(client: OpenSearch) -> None:
    apply_plan(client, make_plan(client, load_artifacts(ROOT)), lambda _m: None)


def unit(vector: np.ndarray) -> list[float]:
    return (vector / np.linalg.norm(vector)).astype(np.float32).tolist()


def cluster_vector(
    cluster: int, rng: np.random.Generator, noise: float = 0.3, dim: int = DIM
) -> list[float]:
    """A unit vector near axis ``cluster`` (members of one cluster resemble each other)."""
    base = np.zeros(dim)
    base[cluster] = 1.0
    return unit(base + noise * rng.normal(size=dim) / math.sqrt(dim))


def point_at(
    km: float, bearing_deg: float = 90.0, origin: tuple[float, float] = HOME
) -> dict[str, float]:
    """The point ``km`` away from ``origin`` on a great circle (spherical Earth)."""
    lat1, lon1 = map(math.radians, origin)
    d = km * 1000 / EARTH_RADIUS_M
    b = math.radians(bearing_deg)
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
    lon2 = lon1 + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(lat1), math.cos(d) - math.sin(lat1) * math.sin(lat2)
    )
    return {"lat": math.degrees(lat2), "lon": math.degrees(lon2)}


def step_of(limit_km: float | None) -> int | None:
    if limit_km is None:
        return None
    fitting = [s for s in DISTANCE_STEPS_KM if s <= limit_km]
    return fitting[-1] if fitting else DISTANCE_STEPS_KM[0]


def member(
    gender: str = "woman",
    seeking: list[str] | None = None,
    age: int = 30,
    age_range: tuple[int, int] | None = (25, 40),
    km: float = 1.0,
    limit_km: float | None = 50,
    interests: list[str] | None = None,
    vector: list[float] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A profiles document as the sync writes it (derived fields included)."""
    doc: dict[str, Any] = {
        "status": "active",
        "gender": gender,
        "seeking": seeking if seeking is not None else ["man"],
        "age": age,
        "location": point_at(km),
        "interests": interests or ["hiking", "jazz"],
        "headline": "Hiking and jazz",
        "bio": "Weekends usually mean hiking and jazz.",
        "profile_vector": vector or cluster_vector(0, np.random.default_rng(age)),
        "graph_vector": cluster_vector(1, np.random.default_rng(age + 1000), dim=GRAPH_DIM),
        "profile_completeness": 0.75,
        "created_at": "2026-10-01T00:00:00Z",
        "last_active_at": "2026-11-01T00:00:00Z",
    }
    if age_range is not None:
        low, high = age_range
        doc.update(age_min=low, age_max=high, age_pref_mid=(low + high) / 2)
        doc["age_pref_radius"] = max((high - low) / 2, 1.0)
    if limit_km is not None:
        doc.update(max_distance_km=limit_km, max_distance_step_km=step_of(limit_km))
    doc.update(extra)
    return {k: v for k, v in doc.items() if v is not None}


def viewer(**overrides: Any) -> dict[str, Any]:
    """A man of 32 seeking women, at HOME (0 km)."""
    defaults: dict[str, Any] = {"gender": "man", "seeking": ["woman"], "age": 32, "km": 0.0}
    return member(**{**defaults, **overrides})


def text_vector(text: str) -> list[float]:
    """A stand-in for the text embedding: texts map to clusters deterministically."""
    rng = np.random.default_rng(sum(map(ord, text)))
    return cluster_vector(sum(map(ord, text)) % 8, rng)


class Market:
    """Index members and viewer states, ask the stored templates."""

    def __init__(self, client: OpenSearch) -> None:
        self.client = client
        self.recommender = Recommender(client, log_queries=False, embed=text_vector)

    def add(self, members: dict[str, dict[str, Any]]) -> None:
        body: list[dict[str, Any]] = []
        for member_id, doc in members.items():
            body += [{"index": {"_index": "profiles", "_id": member_id}}, doc]
        response = self.client.bulk(body=body, refresh=True)
        assert not response["errors"], response

    def update(self, member_id: str, **fields: Any) -> None:
        self.client.update(index="profiles", id=member_id, body={"doc": fields}, refresh=True)

    def delete(self, member_id: str) -> None:
        self.client.delete(index="profiles", id=member_id, refresh=True)

    def state(self, member_id: str, **lists: list[str]) -> None:
        """The viewer_state document the signals worker keeps for ``member_id``."""
        doc = {"member_id": member_id, **lists}
        self.client.index(index="viewer_state", id=member_id, body=doc, refresh=True)

    def recommended(self, viewer_id: str, k: int = 50, **options: Any) -> list[str]:
        recommender = Recommender(self.client, options=RankingOptions(**options), log_queries=False)
        return recommender.recommend(viewer_id, k=k).ids()

    def searched(self, text: str, viewer_id: str | None = None, k: int = 50) -> list[str]:
        return self.recommender.search(text, viewer_id=viewer_id, k=k).ids()
