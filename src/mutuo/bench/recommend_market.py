"""A synthetic marketplace for ``mutuo bench recommend``: profiles as the sync, the signals
worker and the graph job write them, without the text model (100k embeddings would take
the benchmark's whole budget), and the same data as numpy arrays for the raw baseline.

Vectors have the structure real ones have: a member's ``profile_vector`` is the normalised
sum of their interests' directions plus noise (members sharing interests are neighbours),
``taste_vector`` (70% of members) leans towards interests they like, ``graph_vector`` is a
64-d community vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..demo.population import INTERESTS, generate_members
from ..ltr.slot import DEFAULT_SCORE_SPREAD
from ..sync.derive import DISTANCE_STEPS_KM

DIM, GRAPH_DIM = 384, 64
COMMUNITIES = 32
SPREAD = DEFAULT_SCORE_SPREAD  # the marketplace stage's unit at the template's defaults
STATUS_CYCLE = ("active",) * 18 + ("paused", "hidden")


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return (m / np.where(norms == 0, 1, norms)).astype(np.float32)


def _step(limit: float) -> int:
    fitting = [s for s in DISTANCE_STEPS_KM if s <= limit]
    return fitting[-1] if fitting else DISTANCE_STEPS_KM[0]


@dataclass
class BenchMarket:
    """The members: scalar fields as dicts, vectors as float32 arrays. A member's profile
    document (vectors as JSON lists) is built when it is indexed (:meth:`document`):
    100k members' three vectors as Python floats took gigabytes."""

    ids: list[str]
    docs: list[dict[str, Any]]  # the profile documents without their vectors
    profile: np.ndarray  # (n, DIM) unit rows
    taste: np.ndarray  # (n, DIM), zero rows for members without a taste
    graph: np.ndarray  # (n, GRAPH_DIM)

    def document(self, i: int) -> dict[str, Any]:
        """Member ``i``'s profiles document as the sync writes it (vectors included)."""
        doc = {
            **self.docs[i],
            "profile_vector": self.profile[i].tolist(),
            "graph_vector": self.graph[i].tolist(),
        }
        if self.taste[i].any():
            doc["taste_vector"] = self.taste[i].tolist()
        return doc


def build_market(n: int, seed: int) -> BenchMarket:
    rng = np.random.default_rng(seed)
    directions = _unit(rng.normal(size=(len(INTERESTS), DIM)))
    communities = _unit(rng.normal(size=(COMMUNITIES, GRAPH_DIM)))
    members = generate_members(n, seed=seed)
    index = {name: i for i, name in enumerate(INTERESTS)}
    profile = np.zeros((n, DIM), dtype=np.float32)
    taste = np.zeros((n, DIM), dtype=np.float32)
    graph = np.zeros((n, GRAPH_DIM), dtype=np.float32)
    docs = []
    for i, m in enumerate(members):
        p = dict(m.profile)
        p.pop("birthdate", None)
        own = [index[x] for x in p["interests"] if x in index]
        profile[i] = _unit(directions[own].sum(axis=0) + 0.3 * rng.normal(size=DIM) / 20)
        if rng.random() < 0.7:
            liked = rng.choice(len(INTERESTS), size=3, replace=False)
            taste[i] = _unit(directions[liked].sum(axis=0) + 0.5 * profile[i])
        graph[i] = _unit(communities[i % COMMUNITIES] + 0.4 * rng.normal(size=GRAPH_DIM) / 8)
        p["status"] = STATUS_CYCLE[i % len(STATUS_CYCLE)]
        p["max_distance_step_km"] = _step(float(p["max_distance_km"]))
        p["age_pref_mid"] = (p["age_min"] + p["age_max"]) / 2
        p["age_pref_radius"] = max((p["age_max"] - p["age_min"]) / 2, 1.0)
        p["profile_completeness"] = round(float(rng.uniform(0.5, 1.0)), 2)
        impressions = float(rng.gamma(2.0, 20.0))
        p.update(
            impressions_1d=round(impressions / 7, 3),
            impressions_7d=round(impressions, 3),
            likes_received_7d=round(impressions * float(rng.beta(2, 12)), 3),
            likes_sent_7d=round(float(rng.gamma(2.0, 5.0)), 3),
            matches_7d=round(float(rng.gamma(1.0, 1.0)), 3),
            like_rate=round(float(rng.beta(2, 14)), 4),
            reply_rate=round(float(rng.beta(4, 4)), 4),
            exposure_factor=round(float(np.clip(rng.lognormal(0, 0.3), 0.5, 2.0)), 4),
            explore_bonus=round(float(rng.beta(0.3, 3.0)), 4),
        )
        p["exposure_balance"] = round(float(np.log2(p["exposure_factor"] / 0.5) / 2), 4)
        docs.append(p)
    return BenchMarket([m.id for m in members], docs, profile, taste, graph)


class RawRecommend:
    """The same stages in plain numpy over prepared arrays: the hard filters as masks,
    exact cosine of the viewer's taste against every eligible profile, the top window, a
    linear score of a few features over the window, the top page. No engine, no JSON."""

    def __init__(self, market: BenchMarket) -> None:
        docs = market.docs
        self.active = np.asarray([d["status"] == "active" for d in docs])
        genders = sorted(
            {d["gender"] for d in docs} | {g for d in docs for g in d.get("seeking") or []}
        )
        code = {g: k for k, g in enumerate(genders)}
        self.gender = np.asarray([code[d["gender"]] for d in docs], dtype=np.int16)
        # seeks[i, g]: member i accepts gender g (no stated preference accepts everyone)
        self.seeks = np.zeros((len(docs), len(genders)), dtype=bool)
        for i, d in enumerate(docs):
            wanted = d.get("seeking") or genders
            self.seeks[i, [code[g] for g in wanted]] = True
        self.age = np.asarray([d["age"] for d in docs], dtype=np.float64)
        self.age_min = np.asarray([d["age_min"] for d in docs], dtype=np.float64)
        self.age_max = np.asarray([d["age_max"] for d in docs], dtype=np.float64)
        self.lat = np.radians([d["location"]["lat"] for d in docs])
        self.lon = np.radians([d["location"]["lon"] for d in docs])
        self.limit = np.asarray([d["max_distance_step_km"] for d in docs], dtype=np.float64)
        self.profile = market.profile
        self.taste = market.taste
        self.graph = market.graph
        # exposure_balance as the signals worker derives it from exposure_factor
        self.exposure = np.log2(np.asarray([d["exposure_factor"] for d in docs]) / 0.5) / 2
        self.explore = np.asarray([d["explore_bonus"] for d in docs])

    def top(self, i: int, excluded: np.ndarray, size: int = 20, window: int = 200) -> np.ndarray:
        mask = self.active & self.seeks[:, self.gender[i]] & self.seeks[i, self.gender]
        mask &= (self.age >= self.age_min[i]) & (self.age <= self.age_max[i])
        mask &= (self.age_min <= self.age[i]) & (self.age_max >= self.age[i])
        h = (
            np.sin((self.lat - self.lat[i]) / 2) ** 2
            + np.cos(self.lat[i]) * np.cos(self.lat) * np.sin((self.lon - self.lon[i]) / 2) ** 2
        )
        km = 2 * 6371.0087714 * np.arcsin(np.sqrt(h))
        mask &= (km <= self.limit[i]) & (km <= self.limit)
        mask[excluded] = False
        mask[i] = False
        rows = np.flatnonzero(mask)
        query = self.taste[i] if self.taste[i].any() else self.profile[i]
        sims = self.profile[rows] @ query
        head = rows[np.argsort(-sims)[:window]]
        back = (self.taste[head] @ self.profile[i] + 1) / 2
        there = (self.profile[head] @ query + 1) / 2
        graph = (self.graph[head] @ self.graph[i] + 1) / 2
        marketplace = SPREAD * (4 * self.exposure[head] + 2 * self.explore[head])
        score = 2 * there * back / (there + back) + graph + marketplace
        return head[np.argsort(-score)[:size]]
