"""Policies: what the simulated app shows a viewer, through a real engine query.

The simulator only needs ``serve(client, viewer_id, k) -> Served``; the evaluation's
arms are policies that differ by template parameters. :class:`RecommenderPolicy` is the
product (``mutuo.Recommender``, the ``mutuo-recommend`` template, with
``RankingOptions`` as the arm); :class:`KnnPolicy` is a self-contained baseline of the
same shape that needs no template: one k-NN query on
``profile_vector`` with the hard filters inside the ``knn`` clause (pre-filtering), then an
optional marketplace rescore by ``exposure_factor`` and ``explore_bonus``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from opensearchpy import NotFoundError, OpenSearch

from ..recommend import RankingOptions, Recommender

PROFILES = "profiles"
VIEWER_STATE = "viewer_state"
EXCLUDED_SETS = ("seen_ids", "liked_ids", "passed_ids", "blocked_ids", "blocked_by_ids")


@dataclass(frozen=True)
class Served:
    """The ranked ids shown; ``query_id`` when the policy logged the query itself."""

    ids: list[str]
    query_id: str | None = None


class Policy(Protocol):
    name: str

    def serve(self, client: OpenSearch, viewer_id: str, k: int) -> Served: ...


def hard_filters(viewer_id: str, viewer: dict[str, Any]) -> dict[str, Any]:
    """Who may be shown to ``viewer``: active, mutual gender/seeking and age ranges, within
    the viewer's distance, not the viewer, not already seen/liked/passed, not blocked
    either way (terms lookups on ``viewer_state``; a missing document excludes nobody)."""
    must: list[dict[str, Any]] = [{"term": {"status": "active"}}]
    if viewer.get("seeking"):
        must.append({"terms": {"gender": viewer["seeking"]}})
    if viewer.get("gender"):
        must.append({"term": {"seeking": viewer["gender"]}})
    if viewer.get("age_min") is not None and viewer.get("age_max") is not None:
        must.append({"range": {"age": {"gte": viewer["age_min"], "lte": viewer["age_max"]}}})
    if viewer.get("age") is not None:
        must.append({"range": {"age_min": {"lte": viewer["age"]}}})
        must.append({"range": {"age_max": {"gte": viewer["age"]}}})
    if viewer.get("location") and viewer.get("max_distance_km"):
        must.append(
            {
                "geo_distance": {
                    "distance": f"{viewer['max_distance_km']}km",
                    "location": viewer["location"],
                }
            }
        )
    must_not: list[dict[str, Any]] = [
        {"ids": {"values": [viewer_id]}},
        {"term": {"blocked_ids": viewer_id}},
    ]
    must_not += [
        {"terms": {"_id": {"index": VIEWER_STATE, "id": viewer_id, "path": path}}}
        for path in EXCLUDED_SETS
    ]
    return {"bool": {"filter": must, "must_not": must_not}}


def get_viewer(client: OpenSearch, viewer_id: str) -> dict[str, Any] | None:
    try:
        return client.get(index=PROFILES, id=viewer_id)["_source"]
    except NotFoundError:
        return None


@dataclass
class KnnPolicy:
    """k-NN on ``profile_vector`` with the viewer's ``taste_vector`` (their own
    ``profile_vector`` while they have liked no one), hard filters inside the ``knn``;
    then ``score + balancing * exposure_factor + exploration * explore_bonus`` over the
    window when either strength is above zero."""

    name: str = "knn"
    balancing: float = 0.0
    exploration: float = 0.0
    window: int = 100

    def body(self, viewer_id: str, viewer: dict[str, Any], k: int) -> dict[str, Any]:
        vector = viewer.get("taste_vector") or viewer.get("profile_vector")
        knn = {
            "profile_vector": {
                "vector": vector,
                "k": max(k, self.window),
                "filter": hard_filters(viewer_id, viewer),
            }
        }
        body: dict[str, Any] = {"size": k, "query": {"knn": knn}, "_source": False}
        functions = [
            {"field_value_factor": {"field": name, "missing": 0.0}, "weight": weight}
            for name, weight in (
                ("exposure_factor", self.balancing),
                ("explore_bonus", self.exploration),
            )
            if weight > 0
        ]
        if functions:
            body["rescore"] = {
                "window_size": max(k, self.window),
                "query": {
                    "rescore_query": {
                        "function_score": {
                            "query": {"match_all": {}},
                            "functions": functions,
                            "score_mode": "sum",
                            "boost_mode": "replace",
                        }
                    },
                    "query_weight": 1.0,
                    "rescore_query_weight": 1.0,
                },
            }
        return body

    def serve(self, client: OpenSearch, viewer_id: str, k: int) -> Served:
        viewer = get_viewer(client, viewer_id)
        if viewer is None or not (viewer.get("taste_vector") or viewer.get("profile_vector")):
            return Served([])
        hits = client.search(index=PROFILES, body=self.body(viewer_id, viewer, k))["hits"]
        return Served([h["_id"] for h in hits["hits"]])


@dataclass
class RecommenderPolicy:
    """The product itself: ``mutuo.Recommender`` with the ``mutuo-recommend`` template,
    two round trips per request (GET the viewer, run the template), the list logged to
    ``ubi_queries`` with its LTR features. An arm is its :class:`RankingOptions` (model,
    ``exposure_strength``, ``explore_weight`` ...)."""

    name: str = "recommender"
    options: RankingOptions = field(default_factory=RankingOptions)
    _recommender: Recommender | None = field(default=None, init=False, repr=False)

    def serve(self, client: OpenSearch, viewer_id: str, k: int) -> Served:
        if self._recommender is None or self._recommender.client is not client:
            self._recommender = Recommender(client, options=self.options)
        result = self._recommender.recommend(viewer_id, k=k)
        return Served(result.ids(), result.query_id)
