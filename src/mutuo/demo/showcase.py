"""Recommendations for two members, to look at: the newest (cold: no likes, no taste
vector yet) and the one who has liked the most (warm), with why each result is there."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch

from ..ltr.registry import ModelRegistry
from ..recommend import Recommendation, Recommendations, Recommender
from ..simulation import World

PROFILES = "profiles"


def _candidates(client: OpenSearch, sort: list[dict[str, Any]], n: int) -> list[str]:
    body = {"size": n, "query": {"term": {"status": "active"}}, "sort": sort, "_source": False}
    return [h["_id"] for h in client.search(index=PROFILES, body=body)["hits"]["hits"]]


def pick_viewers(client: OpenSearch, n: int = 10) -> list[tuple[str, list[str]]]:
    """(role, candidates best first): the newest members, and those with the most likes
    given; the showcase takes the first candidate who has anyone left to see."""
    return [
        ("cold", _candidates(client, [{"created_at": "desc"}], n)),
        ("warm", _candidates(client, [{"likes_sent_7d": {"order": "desc"}}], n)),
    ]


def viewer_card(world: World, member_id: str, profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": member_id,
        "joined_day": round(world.members[member_id].joined_day, 2),
        **{k: profile.get(k) for k in ("age", "gender", "city", "headline", "interests")},
        "likes_sent_7d": round(float(profile.get("likes_sent_7d") or 0.0), 2),
        "has_taste_vector": "taste_vector" in profile,
    }


def _explanation(item: Recommendation) -> dict[str, Any]:
    e = item.explanation
    if e is None:
        return {}
    return {
        "model": e.model,
        "model_score": None if e.model_score is None else round(e.model_score, 3),
        "marketplace": None if e.marketplace is None else round(e.marketplace, 3),
        "top_features": [
            {"name": f.name, "value": f.value, "contribution": f.contribution} for f in e.top(3)
        ],
    }


def result_rows(
    world: World, viewer_id: str, viewer: dict[str, Any], items: Recommendations
) -> list[dict[str, Any]]:
    """What a person needs to judge a result: who it is, what they share with the viewer,
    why the model and the marketplace stage ranked them there, and (the simulation's ground
    truth, never seen by the ranking) how likely the viewer is to like them."""
    mine = set(viewer.get("interests") or [])
    rows = []
    for item in items:
        p = item.profile
        rows.append(
            {
                "rank": item.rank,
                "id": item.member_id,
                "score": round(item.score, 3),
                "age": p.get("age"),
                "city": p.get("city"),
                "headline": p.get("headline"),
                "shared_interests": sorted(mine & set(p.get("interests") or [])),
                "exposure_factor": p.get("exposure_factor"),
                "exposure_balance": p.get("exposure_balance"),
                "explore_bonus": p.get("explore_bonus"),
                "explanation": _explanation(item),
                "hidden_like_probability": round(
                    world.like_probability(viewer_id, item.member_id), 3
                ),
            }
        )
    return rows


def showcase(
    client: OpenSearch, world: World, registry: ModelRegistry | None, k: int
) -> list[dict[str, Any]]:
    """Explained recommendations (not logged: looking is not using) for both members."""
    recommender = Recommender(client, registry=registry, log_queries=False)
    out = []
    for role, candidates in pick_viewers(client):
        for member_id in candidates:
            viewer = recommender.viewer(member_id)
            items = recommender.recommend(member_id, k=k, explain=True)
            if len(items):
                break
        else:
            continue
        out.append(
            {
                "role": role,
                "viewer": viewer_card(world, member_id, viewer),
                "results": result_rows(world, member_id, viewer, items),
            }
        )
    return out
