"""Apply a batch of events to ``profiles`` and ``viewer_state``: one ``_mget``, one ``_bulk``.

Every write is a partial ``update`` conditional on the ``_seq_no`` just read
(``if_seq_no``/``if_primary_term``), or a ``create`` for a member's first viewer_state.
The sync writes the same profile documents (its own fields, also conditionally), so a
409 means the other writer got in between: the document is read again, its signals
recomputed from the same events, and written again, so neither writer loses an update.
A profile that does not exist (a member deleted, or not synced yet) is left alone: the
signals never create a member. A batch with a block or report is written with
``refresh=true`` so the two members stop seeing each other at once.

Which events *answered* or *entered* an inbox entry, and the liked members' vectors, are decided
once, from the first read; a retry only recomputes the documents that conflicted.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch

from ..errors import MutuoError
from ..sync.retry import Backoff, transient_item
from .effects import (
    BLOCKING,
    SignalEvent,
    ViewerFacts,
    apply_to_profiles,
    apply_to_viewers,
)
from .feed import parse_time_ms
from .model import COUNTERS, ProfileSignals, SignalsConfig
from .viewer import ViewerSets

PROFILES = "profiles"
VIEWER_STATE = "viewer_state"
MAX_ROUNDS = 20
PROFILE_FIELDS = [
    *COUNTERS,
    "impressions_total",
    "blocked_ids",
    "signals_seq",
    "signals_updated_at",
    "created_at",
]
TASTE_FIELDS = ["taste_vector", "taste_norm", "taste_weight"]

Cas = tuple[int, int]  # _seq_no, _primary_term


@dataclass
class ApplyOutcome:
    profiles_written: int = 0
    viewers_written: int = 0
    missing_profiles: int = 0  # members acted on or acting with no profile (skipped)
    conflicts: int = 0  # 409s: another writer changed a document in between; retried
    requests: int = 0


@dataclass
class _Read:
    """One ``_mget``: documents by member id with the ``_seq_no`` to write against."""

    profiles: dict[str, tuple[dict[str, Any], Cas]] = field(default_factory=dict)
    viewers: dict[str, tuple[dict[str, Any] | None, Cas | None]] = field(default_factory=dict)
    vectors: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class _Write:
    index: str
    member_id: str
    cas: Cas | None  # None: create
    body: dict[str, Any]


def profile_signals(source: dict[str, Any], config: SignalsConfig) -> ProfileSignals:
    """The signals of a ``profiles`` document as :func:`_read` fetches it."""
    return ProfileSignals.from_source(
        source,
        as_of_ms=parse_time_ms(source.get("signals_updated_at")),
        created_ms=parse_time_ms(source.get("created_at")),
        config=config,
    )


class SignalsApplier:
    def __init__(
        self,
        client: OpenSearch,
        config: SignalsConfig,
        clock: Callable[[], float],
        exposure_target: Callable[[], float],
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock  # epoch milliseconds
        self.exposure_target = exposure_target
        self.backoff = backoff or Backoff()

    def apply(self, events: Sequence[SignalEvent]) -> ApplyOutcome:
        out = ApplyOutcome()
        if not events:
            return out
        members = {m for e in events for m in (e.actor, e.target)}
        tasters = {e.actor for e in events if e.action == "like"}
        liked = {e.target for e in events if e.action == "like"}
        read = self._read(members, members, tasters, liked, out)
        out.missing_profiles = len(members - read.profiles.keys())
        vectors = read.vectors
        viewers = {m: _viewer(m, read) for m in members}
        facts = apply_to_viewers(events, viewers)
        refresh = any(e.action in BLOCKING for e in events)
        writes = self._writes(events, read, viewers, facts, vectors)
        for attempt in range(MAX_ROUNDS):
            again = self._bulk(writes, refresh, out)
            if not again:
                return out
            if attempt:
                time.sleep(self.backoff.delay(attempt))
            out.conflicts += len(again)
            p_ids = {w.member_id for w in again if w.index == PROFILES}
            v_ids = {w.member_id for w in again if w.index == VIEWER_STATE}
            read = self._read(p_ids, v_ids, p_ids & tasters, set(), out)
            viewers = {m: _viewer(m, read) for m in v_ids}
            apply_to_viewers(events, viewers)
            writes = self._writes(events, read, viewers, facts, vectors)
        raise MutuoError(
            f"{len(writes)} documents kept changing under the signals worker for "
            f"{MAX_ROUNDS} rounds; is another process rewriting them?"
        )

    def _writes(
        self,
        events: Sequence[SignalEvent],
        read: _Read,
        viewers: dict[str, ViewerSets],
        facts: ViewerFacts,
        vectors: dict[str, list[float]],
    ) -> list[_Write]:
        profiles = {m: profile_signals(src, self.config) for m, (src, _) in read.profiles.items()}
        changed = apply_to_profiles(events, profiles, facts, vectors)
        now, target = self.clock(), self.exposure_target()
        writes = [
            _Write(PROFILES, m, read.profiles[m][1], {"doc": profiles[m].fields(now, target)})
            for m in sorted(changed)
        ]
        for m, state in sorted(viewers.items()):
            if not state.changed:
                continue
            body = state.fields(now, self.config.seen_cap)
            cas = read.viewers[m][1]
            writes.append(_Write(VIEWER_STATE, m, cas, {"doc": body} if cas else body))
        return writes

    def _read(
        self,
        profile_ids: set[str],
        viewer_ids: set[str],
        tasters: set[str],
        liked: set[str],
        out: ApplyOutcome,
    ) -> _Read:
        docs: list[dict[str, Any]] = []
        for m in sorted(profile_ids):
            fields = PROFILE_FIELDS + (TASTE_FIELDS if m in tasters else [])
            docs.append({"_index": PROFILES, "_id": m, "_source": fields})
        docs += [{"_index": PROFILES, "_id": m, "_source": ["profile_vector"]} for m in liked]
        docs += [{"_index": VIEWER_STATE, "_id": m} for m in sorted(viewer_ids)]
        out.requests += 1
        response = self.client.mget(body={"docs": docs})
        read = _Read()
        for spec, item in zip(docs, response["docs"], strict=True):
            if "error" in item:
                raise MutuoError(
                    f"cannot read {spec['_index']}/{spec['_id']}: {item['error']}; "
                    "run `mutuo apply` if the index is missing"
                )
            cas = (item["_seq_no"], item["_primary_term"]) if item.get("found") else None
            source = item.get("_source") or {}
            if spec["_index"] == VIEWER_STATE:
                read.viewers[item["_id"]] = (source if cas else None, cas)
            elif spec["_source"] == ["profile_vector"]:
                if source.get("profile_vector") is not None:
                    read.vectors[item["_id"]] = source["profile_vector"]
            elif cas is not None:
                read.profiles[item["_id"]] = (source, cas)
        return read

    def _bulk(self, writes: list[_Write], refresh: bool, out: ApplyOutcome) -> list[_Write]:
        """Send the writes; the ones to redo (conflicts and transient failures)."""
        if not writes:
            return []
        actions: list[dict[str, Any]] = []
        for w in writes:
            meta: dict[str, Any] = {"_index": w.index, "_id": w.member_id}
            if w.cas is None:
                actions += [{"create": meta}, w.body]
                continue
            meta.update(if_seq_no=w.cas[0], if_primary_term=w.cas[1])
            actions += [{"update": meta}, w.body]
        out.requests += 1
        response = self.client.bulk(body=actions, refresh="true" if refresh else "false")
        again: list[_Write] = []
        for w, item in zip(writes, response["items"], strict=True):
            result = next(iter(item.values()))
            status, error = result.get("status", 500), result.get("error")
            if error is None:
                if w.index == PROFILES:
                    out.profiles_written += 1
                else:
                    out.viewers_written += 1
            elif status == 409 or transient_item(status, error.get("type")):
                again.append(w)
            elif status == 404 and w.index == PROFILES:
                out.missing_profiles += 1  # deleted since it was read
            else:
                raise MutuoError(f"{w.index}/{w.member_id} refused a signals update: {error}")
        return again


def _viewer(member_id: str, read: _Read) -> ViewerSets:
    source, _cas = read.viewers.get(member_id, (None, None))
    return ViewerSets.from_source(member_id, source)
