"""Graded judgments from User Behavior Insights events.

A judgment is one member shown to one viewer in one ranked list (a query), with a label
from what happened between the two, both ways:

====  ==================================================================================
 3    a mutual match (a ``match`` event between them, either direction)
 2    the viewer liked or messaged the member and the member replied (``reply`` from them)
 1    the viewer liked or messaged the member
 0    shown without either (a ``pass``, nothing, a ``block`` or ``report``)
====  ==================================================================================

``reciprocal=False`` labels the viewer's side alone (1 liked or messaged, 0 otherwise): the
one-sided baseline the evaluation compares reciprocal ranking against.

The lists come from ``impression`` events (their ``query_id`` and
``event_attributes.position.ordinal``); a query logged in ``ubi_queries`` without
impression events counts every returned member as shown, in the returned order. The
position is kept: training corrects for position bias with it (see :mod:`.ranker`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..events import EVENTS_INDEX, QUERIES_INDEX
from .scan import scan, time_range

MATCH, REPLIED, LIKED, NOTHING = 3, 2, 1, 0
_LIKES = ("like", "message")
_NEGATIVE = ("block", "report")


@dataclass(frozen=True)
class Judgment:
    query_id: str
    viewer_id: str
    member_id: str
    position: int
    label: int
    timestamp: str  # when the list was shown (its first impression)
    user_query: str = ""


@dataclass
class Relations:
    """Who did what to whom in the window."""

    matches: set[frozenset[str]]
    liked: set[tuple[str, str]]
    replied: set[tuple[str, str]]  # (replier, to whom)
    negative: set[tuple[str, str]]

    def label(self, viewer: str, member: str, reciprocal: bool = True) -> int:
        if (viewer, member) in self.negative:
            return NOTHING
        liked = (viewer, member) in self.liked
        if not reciprocal:
            return LIKED if liked or frozenset((viewer, member)) in self.matches else NOTHING
        if frozenset((viewer, member)) in self.matches:
            return MATCH
        if liked and (member, viewer) in self.replied:
            return REPLIED
        return LIKED if liked else NOTHING


def _target(event: dict[str, Any]) -> str | None:
    obj = (event.get("event_attributes") or {}).get("object") or {}
    value = obj.get("object_id")
    return str(value) if value is not None else None


def _position(event: dict[str, Any]) -> int | None:
    position = (event.get("event_attributes") or {}).get("position") or {}
    value = position.get("ordinal")
    return int(value) if value is not None else None


def read_events(
    client: OpenSearch, since: str | None, until: str | None
) -> tuple[Relations, list[dict[str, Any]]]:
    """The relations and the impression events of the window."""
    relations = Relations(set(), set(), set(), set())
    impressions = []
    for hit in scan(client, EVENTS_INDEX, time_range("timestamp", since, until)):
        event = hit["_source"]
        actor, target, action = event.get("client_id"), _target(event), event.get("action_name")
        if actor is None or target is None:
            continue
        pair = (str(actor), target)
        if action == "impression":
            impressions.append(event)
        elif action == "match":
            relations.matches.add(frozenset(pair))
        elif action in _LIKES:
            relations.liked.add(pair)
        elif action == "reply":
            relations.replied.add(pair)
        elif action in _NEGATIVE:
            relations.negative.add(pair)
    return relations, impressions


@dataclass(frozen=True)
class Shown:
    viewer: str
    member: str
    position: int
    timestamp: str


def _shown_lists(
    client: OpenSearch, impressions: list[dict[str, Any]], since: str | None, until: str | None
) -> tuple[dict[str, list[Shown]], dict[str, str]]:
    """(query id -> what was shown, query id -> the user's text query)."""
    lists: dict[str, list[Shown]] = defaultdict(list)
    for event in impressions:
        viewer = str(event["client_id"])
        query_id = event.get("query_id") or f"{viewer}@{event['timestamp'][:10]}"
        position = _position(event)
        rows = lists[query_id]
        where = position if position is not None else len(rows)
        rows.append(Shown(viewer, str(_target(event)), where, event["timestamp"]))
    texts: dict[str, str] = {}
    for hit in scan(client, QUERIES_INDEX, time_range("timestamp", since, until)):
        query = hit["_source"]
        query_id = str(query.get("query_id") or hit["_id"])
        texts[query_id] = str(query.get("user_query") or "")
        if query_id in lists:  # impression events say what was really shown
            continue
        viewer = str(query["client_id"])
        for position, member in enumerate(query.get("query_response_hit_ids") or []):
            lists[query_id].append(Shown(viewer, str(member), position, query["timestamp"]))
    return lists, texts


def collect_judgments(
    client: OpenSearch,
    since: str | None = None,
    until: str | None = None,
    reciprocal: bool = True,
) -> list[Judgment]:
    """Graded judgments of every list shown in [since, until), ordered by query, position."""
    for index in (EVENTS_INDEX, QUERIES_INDEX):
        client.indices.refresh(index=index)
    relations, impressions = read_events(client, since, until)
    lists, texts = _shown_lists(client, impressions, since, until)
    judgments = []
    for query_id, rows in lists.items():
        seen: set[str] = set()
        shown_at = min(r.timestamp for r in rows)
        for row in sorted(rows, key=lambda r: r.position):
            if row.member in seen:  # the same member twice in one list: the first position
                continue
            seen.add(row.member)
            label = relations.label(row.viewer, row.member, reciprocal)
            judgments.append(
                Judgment(
                    query_id,
                    row.viewer,
                    row.member,
                    row.position,
                    label,
                    shown_at,
                    texts.get(query_id, ""),
                )
            )
    judgments.sort(key=lambda j: (j.timestamp, j.query_id, j.position))
    return judgments


def label_counts(judgments: Iterable[Judgment]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for j in judgments:
        counts[str(j.label)] += 1
    return dict(sorted(counts.items()))


def write_judgments(judgments: Iterable[Judgment], path: str | Path) -> int:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w") as handle:
        for j in judgments:
            handle.write(json.dumps(asdict(j)) + "\n")
            count += 1
    return count


def read_judgments(path: str | Path) -> list[Judgment]:
    return [Judgment(**json.loads(line)) for line in Path(path).read_text().splitlines() if line]
