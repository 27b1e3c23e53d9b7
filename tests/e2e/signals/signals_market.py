"""Helpers for the signals suites: members as the sync writes them, times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def apply_artifacts(client: OpenSearch) -> None:
    apply_plan(client, make_plan(client, load_artifacts(ROOT)), lambda _m: None)


def unit_vector(seed: int, dim: int = 384) -> list[float]:
    v = np.random.default_rng(seed).normal(size=dim)
    return (v / np.linalg.norm(v)).tolist()


def add_members(client: OpenSearch, ids: list[str], created: datetime = T0) -> None:
    """Members as the sync writes them (profile fields and profile_vector only)."""
    body: list[dict[str, object]] = []
    for i, member_id in enumerate(ids):
        body += [
            {"create": {"_index": "profiles", "_id": member_id}},
            {
                "status": "active",
                "gender": "woman" if i % 2 else "man",
                "bio": f"member {member_id}",
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source_version": 1,
                "profile_vector": unit_vector(i),
            },
        ]
    assert not client.bulk(body=body, refresh=True)["errors"]


def ms(moment: datetime) -> float:
    return moment.timestamp() * 1000.0
