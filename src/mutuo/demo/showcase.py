"""Recommendations for two members, to look at: the newest (cold: no likes, no taste
vector yet) and the one who has liked the most (warm), with why each result is there."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch

from ..simulation import Policy, World

PROFILES = "profiles"
SHOWN_FIELDS = [
    "age",
    "city",
    "gender",
    "headline",
    "interests",
    "likes_sent_7d",
    "likes_received_7d",
    "impressions_total",
    "exposure_factor",
    "explore_bonus",
    "created_at",
]


def _one(client: OpenSearch, sort: list[dict[str, Any]]) -> str | None:
    body = {"size": 1, "query": {"term": {"status": "active"}}, "sort": sort, "_source": False}
    hits = client.search(index=PROFILES, body=body)["hits"]["hits"]
    return hits[0]["_id"] if hits else None


def pick_viewers(client: OpenSearch) -> list[tuple[str, str]]:
    """(role, member id): the newest member, and the one with the most likes given."""
    cold = _one(client, [{"created_at": "desc"}])
    warm = _one(client, [{"likes_sent_7d": {"order": "desc", "missing": "_last"}}])
    return [(role, m) for role, m in (("cold", cold), ("warm", warm)) if m is not None]


def _profiles(client: OpenSearch, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    docs = client.mget(index=PROFILES, body={"ids": ids}, _source_includes=SHOWN_FIELDS)
    return {d["_id"]: d["_source"] for d in docs["docs"] if d.get("found")}


def viewer_card(world: World, member_id: str, profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": member_id,
        "joined_day": round(world.members[member_id].joined_day, 2),
        **{k: profile.get(k) for k in ("age", "gender", "city", "headline", "interests")},
        "likes_sent_7d": round(float(profile.get("likes_sent_7d") or 0.0), 2),
        "has_taste_vector": "taste_vector" in profile,
    }


def result_rows(
    world: World, viewer_id: str, viewer: dict[str, Any], ids: list[str], client: OpenSearch
) -> list[dict[str, Any]]:
    """What a person needs to judge a result: who it is, what they share with the viewer,
    the marketplace signals that moved them, and (the simulation's ground truth, never
    seen by the ranking) how likely the viewer is to like them."""
    profiles = _profiles(client, ids)
    mine = set(viewer.get("interests") or [])
    rows = []
    for rank, member_id in enumerate(ids, 1):
        p = profiles.get(member_id, {})
        rows.append(
            {
                "rank": rank,
                "id": member_id,
                "age": p.get("age"),
                "city": p.get("city"),
                "headline": p.get("headline"),
                "shared_interests": sorted(mine & set(p.get("interests") or [])),
                "exposure_factor": p.get("exposure_factor"),
                "explore_bonus": p.get("explore_bonus"),
                "hidden_like_probability": round(world.like_probability(viewer_id, member_id), 3),
            }
        )
    return rows


def showcase(client: OpenSearch, world: World, policy: Policy, k: int) -> list[dict[str, Any]]:
    out = []
    for role, member_id in pick_viewers(client):
        viewer = client.get(index=PROFILES, id=member_id)["_source"]
        served = policy.serve(client, member_id, k)
        out.append(
            {
                "role": role,
                "viewer": viewer_card(world, member_id, viewer),
                "results": result_rows(world, member_id, viewer, served.ids, client),
            }
        )
    return out
