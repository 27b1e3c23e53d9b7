"""Behaviour events in OpenSearch's User Behavior Insights (UBI) schema.

What a member was shown is a *query* (``ubi_queries``: the ranked ids a recommend or search
call returned, with the variant that produced them); what they did is an *event*
(``ubi_events``). The signals worker, the LTR judgments and the offline evaluation all read
these two indices, so any backend in any language can log with plain index requests in the
JSON shapes below; Python code uses :func:`record` and :func:`log_query`.

Event document::

    {"application": "mutuo", "action_name": "like", "client_id": "<viewer id>",
     "query_id": "<query id or null>", "timestamp": "2026-11-22T10:00:00.000Z",
     "event_attributes": {"object": {"object_id": "<member acted on>", "object_id_field": "_id"},
                          "position": {"ordinal": 3}}}
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch

from .errors import MutuoError

EVENTS_INDEX = "ubi_events"
QUERIES_INDEX = "ubi_queries"
APPLICATION = "mutuo"
ACTIONS = ("impression", "like", "pass", "message", "reply", "match", "block", "report")


def new_query_id() -> str:
    return uuid.uuid4().hex


def format_timestamp(moment: datetime) -> str:
    """``strict_date_time`` in UTC with milliseconds, as the UBI mappings expect."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Event:
    """One thing a member did to another member."""

    viewer_id: str
    action: str
    target_id: str
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    query_id: str | None = None
    position: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise MutuoError(
                f"unknown action {self.action!r}; expected one of {', '.join(ACTIONS)}"
            )
        if self.viewer_id == self.target_id:
            raise MutuoError(f"a member cannot {self.action} themselves ({self.viewer_id})")

    def to_ubi(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            **self.attributes,
            "object": {"object_id": self.target_id, "object_id_field": "_id"},
        }
        if self.position is not None:
            attributes["position"] = {"ordinal": self.position}
        return {
            "application": APPLICATION,
            "action_name": self.action,
            "client_id": self.viewer_id,
            "query_id": self.query_id,
            "timestamp": format_timestamp(self.timestamp),
            "event_attributes": attributes,
        }


def record(client: OpenSearch, events: Iterable[Event], refresh: bool | str = False) -> int:
    """Append events to ``ubi_events`` in one ``_bulk``; returns how many were written."""
    body: list[dict[str, Any]] = []
    for event in events:
        body.append({"index": {"_index": EVENTS_INDEX, "_id": uuid.uuid4().hex}})
        body.append(event.to_ubi())
    if not body:
        return 0
    response = client.bulk(body=body, refresh=refresh)
    if response.get("errors"):
        failed = [item for item in response["items"] if "error" in next(iter(item.values()))]
        reason = next(iter(failed[0].values()))["error"]
        raise MutuoError(f"{len(failed)} of {len(body) // 2} events were rejected: {reason}")
    return len(body) // 2


def log_query(
    client: OpenSearch,
    viewer_id: str,
    hit_ids: Sequence[str],
    *,
    query_id: str | None = None,
    user_query: str = "",
    attributes: dict[str, Any] | None = None,
    timestamp: datetime | None = None,
    refresh: bool | str = False,
) -> str:
    """Log what a member was shown (the ranked ids) to ``ubi_queries``; returns the query id."""
    query_id = query_id or new_query_id()
    client.index(
        index=QUERIES_INDEX,
        id=query_id,
        body={
            "application": APPLICATION,
            "query_id": query_id,
            "client_id": viewer_id,
            "user_query": user_query,
            "query_response_id": query_id,
            "query_response_hit_ids": list(hit_ids),
            "query_attributes": attributes or {},
            "timestamp": format_timestamp(timestamp or datetime.now(UTC)),
        },
        refresh=refresh,
    )
    return query_id
