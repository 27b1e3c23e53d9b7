"""Graded judgments of the training meetings, read back from ``ubi_events``.

Each viewer's impressions of one evening form a list (its query id); a shown member is
graded by what followed: ``2`` for a mutual match (a ``match`` event, whichever side
logged it), ``1`` for the viewer's like, ``0`` for an impression without one. The
one-sided ranker learns from likes alone (grade >= 1), the reciprocal one from the grades.
Events are paged with ``search_after`` on ``signals_seq``, which the signals worker stamps
on every event it applied, so the judgments see exactly what the signals saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...events import EVENTS_INDEX

PAGE = 5000
MUTUAL, LIKE, SHOWN = 2, 1, 0


@dataclass
class Judgments:
    """Per viewer, the shown members in list order (position) and their grades."""

    shown: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    likes: set[tuple[str, str]] = field(default_factory=set)
    matches: set[frozenset[str]] = field(default_factory=set)

    def grade(self, viewer: str, target: str) -> int:
        if frozenset((viewer, target)) in self.matches:
            return MUTUAL
        return LIKE if (viewer, target) in self.likes else SHOWN

    def lists(self) -> dict[str, list[str]]:
        """Each viewer's shown members in the order they were shown, viewers sorted."""
        return {v: [t for _p, t in sorted(self.shown[v])] for v in sorted(self.shown)}


def read_events(client: Any) -> list[dict[str, Any]]:
    """Every applied event in ``signals_seq`` order."""
    events: list[dict[str, Any]] = []
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": PAGE,
            "query": {"exists": {"field": "signals_seq"}},
            "sort": [{"signals_seq": "asc"}],
        }
        if after is not None:
            body["search_after"] = after
        hits = client.search(index=EVENTS_INDEX, body=body)["hits"]["hits"]
        events += [hit["_source"] for hit in hits]
        if len(hits) < PAGE:
            return events
        after = hits[-1]["sort"]


def judgments_of(events: list[dict[str, Any]]) -> Judgments:
    out = Judgments()
    for event in events:
        viewer = event["client_id"]
        attributes = event.get("event_attributes") or {}
        target = attributes["object"]["object_id"]
        action = event["action_name"]
        if action == "impression":
            position = (attributes.get("position") or {}).get("ordinal") or 0
            out.shown.setdefault(viewer, []).append((position, target))
        elif action == "like":
            out.likes.add((viewer, target))
        elif action == "match":
            out.matches.add(frozenset((viewer, target)))
    return out
