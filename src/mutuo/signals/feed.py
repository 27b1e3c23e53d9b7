"""Reading ``ubi_events`` without losing one: the worker numbers events before using them.

Events are appended by many writers (app backends, ``mutuo.events.record``) whose writes
commit and become searchable in no fixed order, so "everything after the last timestamp
(or id) I processed" can skip an event written late with an earlier timestamp. Instead,
the worker *sequences* events: each poll it asks for events that carry no
``signals_seq`` yet (``must_not: exists``: visibility, not time, decides, so a late event
is simply found by a later poll), and stamps them with consecutive numbers by a partial
update conditional on the ``_seq_no`` it read (``if_seq_no``). Only then does it apply
them, in sequence order, and checkpoint the last sequence applied.

* A crash after stamping and before applying leaves stamped, unapplied events: on start
  the worker replays every event above its checkpoint, in sequence order
  (:meth:`EventFeed.sequenced_after`).
* A replay never counts twice: each profile and viewer_state document stores the last
  sequence applied to it (``signals_seq``, :mod:`.effects`).
* The next number comes from the index (``max(signals_seq) + 1``), so a lost checkpoint
  costs a replay (idempotent), never a reused number; a second worker stamping the same
  event gets a 409 on ``if_seq_no`` and stops (:class:`ConcurrentWorkerError`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opensearchpy import OpenSearch

from ..errors import MutuoError
from ..events import ACTIONS, EVENTS_INDEX
from .effects import SignalEvent

log = logging.getLogger("mutuo.signals.feed")

SEQ_FIELD = "signals_seq"


class ConcurrentWorkerError(MutuoError):
    """Another signals worker stamped the same events: only one may run per cluster."""


@dataclass
class Batch:
    """Events taken from the feed: the usable ones, and how many could not be used."""

    events: list[SignalEvent]
    taken: int
    malformed: int
    last_seq: int


def parse_time_ms(value: Any) -> float | None:
    """Epoch milliseconds of a date as mutuo stores them (epoch millis or ISO 8601)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).timestamp() * 1000.0
        except ValueError:
            return None
    return None


def to_signal_event(seq: int, source: dict[str, Any]) -> SignalEvent | None:
    """The event's actor, action, object and time, or None when one of them is unusable
    (an unknown action, a missing id, acting on oneself, an unparsable timestamp)."""
    action = source.get("action_name")
    actor = source.get("client_id")
    attributes = source.get("event_attributes")
    obj = attributes.get("object") if isinstance(attributes, dict) else None
    target = obj.get("object_id") if isinstance(obj, dict) else None
    t_ms = parse_time_ms(source.get("timestamp"))
    if action not in ACTIONS or not isinstance(actor, str) or not isinstance(target, str):
        return None
    if not actor or not target or actor == target or t_ms is None:
        return None
    return SignalEvent(seq, actor, action, target, t_ms)


class EventFeed:
    def __init__(self, client: OpenSearch, index: str = EVENTS_INDEX) -> None:
        self.client = client
        self.index = index

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.index)

    def last_assigned(self) -> int:
        """The highest sequence stamped so far (0 when none)."""
        response = self.client.search(
            index=self.index, body={"size": 0, "aggs": {"last": {"max": {"field": SEQ_FIELD}}}}
        )
        value = response["aggregations"]["last"]["value"]
        return int(value) if value is not None else 0

    def sequenced_after(self, seq: int, limit: int) -> Batch:
        """Stamped events above ``seq``, in sequence order (replay after a restart)."""
        body = {
            "query": {"range": {SEQ_FIELD: {"gt": seq}}},
            "sort": [{SEQ_FIELD: "asc"}],
            "size": limit,
        }
        hits = self.client.search(index=self.index, body=body)["hits"]["hits"]
        stamped = [(int(h["_source"][SEQ_FIELD]), h["_source"]) for h in hits]
        return _batch(stamped, seq)

    def take_new(self, next_seq: int, limit: int) -> Batch:
        """Stamp up to ``limit`` unsequenced events (oldest timestamp first) with
        ``next_seq``, ``next_seq + 1``...; the caller refreshes the index first."""
        body = {
            "query": {"bool": {"must_not": [{"exists": {"field": SEQ_FIELD}}]}},
            "sort": [{"timestamp": {"order": "asc", "missing": "_last"}}],
            "seq_no_primary_term": True,
            "size": limit,
        }
        hits = self.client.search(index=self.index, body=body)["hits"]["hits"]
        if not hits:
            return Batch([], 0, 0, next_seq - 1)
        actions: list[dict[str, Any]] = []
        stamped: list[tuple[int, dict[str, Any]]] = []
        for offset, hit in enumerate(hits):
            seq = next_seq + offset
            meta = {
                "_index": hit["_index"],
                "_id": hit["_id"],
                "if_seq_no": hit["_seq_no"],
                "if_primary_term": hit["_primary_term"],
            }
            actions += [{"update": meta}, {"doc": {SEQ_FIELD: seq}}]
            stamped.append((seq, hit["_source"]))
        self._stamp(actions)
        return _batch(stamped, next_seq - 1)

    def _stamp(self, actions: list[dict[str, Any]]) -> None:
        response = self.client.bulk(body=actions)
        if not response.get("errors"):
            return
        items = [next(iter(item.values())) for item in response["items"]]
        failed = [item for item in items if "error" in item]
        if any(item.get("status") == 409 for item in failed):
            raise ConcurrentWorkerError(
                "another signals worker stamped the same ubi_events: run one `mutuo signals "
                "run` per cluster (stop the other one, then restart this one)"
            )
        raise MutuoError(f"cannot stamp {len(failed)} ubi_events: {failed[0]['error']}")


def _batch(stamped: list[tuple[int, dict[str, Any]]], before: int) -> Batch:
    events: list[SignalEvent] = []
    malformed = 0
    for seq, source in stamped:
        event = to_signal_event(seq, source)
        if event is None:
            malformed += 1
            log.warning("skipping event %d: not a usable UBI event: %s", seq, source)
        else:
            events.append(event)
    last = max((seq for seq, _ in stamped), default=before)
    return Batch(events, len(stamped), malformed, last)
