"""``mutuo signals run``: follow ``ubi_events`` and keep profiles and viewer_state fresh.

One pass: refresh ``ubi_events`` (so what was just written is visible), take a batch
(replay stamped-but-unapplied events first, else stamp new ones: :mod:`.feed`), apply it
with one ``_mget`` and one ``_bulk`` (:mod:`.apply`), checkpoint, then recompute a batch of
new or quiet members (:mod:`.sweep`). Passes repeat every ``poll_s`` while idle and
back to back while there is work, so an event is in the profiles within a poll, a batch
and the profiles' 500 ms refresh: under a second.

The clock is a parameter: the simulation runs the worker on simulated time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from opensearchpy import OpenSearch

from ..sync.retry import Backoff, transient_request
from .apply import PROFILES, SignalsApplier
from .feed import EventFeed
from .model import SignalsConfig
from .state import SignalsState
from .sweep import Sweeper

log = logging.getLogger("mutuo.signals.worker")


def wall_clock_ms() -> float:
    return time.time() * 1000.0


@dataclass(frozen=True)
class SignalsOptions:
    batch_size: int = 1000
    poll_s: float = 0.2
    once: bool = False  # stop when caught up (no new events, no member to sweep)
    sweep_max_age_s: float = 6 * 3600.0  # recompute members untouched for this long
    sweep_batch: int = 500


@dataclass
class PassResult:
    taken: int = 0  # events taken from the feed
    applied: int = 0  # of those, usable events applied
    malformed: int = 0
    profiles_written: int = 0
    viewers_written: int = 0
    missing_profiles: int = 0
    conflicts: int = 0
    swept: int = 0
    seconds: float = 0.0

    @property
    def idle(self) -> bool:
        return self.taken == 0 and self.swept == 0


@dataclass
class SignalsSummary:
    passes: int = 0
    seconds: float = 0.0
    applied_seq: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def events_per_s(self) -> float:
        busy = self.totals.get("busy_ms", 0) / 1000.0
        return round(self.totals.get("taken", 0) / busy, 1) if busy else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "events_per_s": self.events_per_s}


class ExposureTarget:
    """The marketplace's mean ``impressions_7d`` over active members, read once per pass
    (one ``avg`` aggregation) when some exposure_factor needs it."""

    def __init__(self, client: OpenSearch) -> None:
        self.client = client
        self.value: float | None = None

    def reset(self) -> None:
        self.value = None

    def __call__(self) -> float:
        if self.value is None:
            body = {
                "size": 0,
                "query": {"term": {"status": "active"}},
                "aggs": {"mean": {"avg": {"field": "impressions_7d"}}},
            }
            mean = self.client.search(index=PROFILES, body=body)["aggregations"]["mean"]["value"]
            self.value = float(mean or 0.0)
        return self.value


class SignalsWorker:
    def __init__(
        self,
        client: OpenSearch,
        state: SignalsState | None = None,
        options: SignalsOptions | None = None,
        config: SignalsConfig | None = None,
        clock: Callable[[], float] = wall_clock_ms,
        stop: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.state = state or SignalsState()
        self.options = options or SignalsOptions()
        self.config = config or SignalsConfig()
        self.stop = stop or threading.Event()
        self.feed = EventFeed(client)
        self.target = ExposureTarget(client)
        self.applier = SignalsApplier(client, self.config, clock, self.target)
        self.sweeper = Sweeper(
            client, self.config, clock, self.target, self.options.sweep_max_age_s * 1000.0
        )
        self.applied = self.state.applied_seq
        self.assigned: int | None = None  # highest stamped sequence, read from the index
        self.totals: dict[str, int] = dict(self.state.totals)
        self._wrote_profiles = True  # refresh profiles before the first sweep

    def run(
        self, on_pass: Callable[[PassResult], None] | None = None, once: bool | None = None
    ) -> SignalsSummary:
        """Pass after pass until stopped (or, with ``once``, until caught up)."""
        once = self.options.once if once is None else once
        summary = SignalsSummary()
        started = time.perf_counter()
        attempt = 0
        while not self.stop.is_set():
            try:
                result = self.run_pass()
            except Exception as exc:
                if not transient_request(exc):
                    raise
                attempt += 1
                self.assigned = None  # re-read what was stamped before going on
                log.warning("transient failure, retry %d: %s", attempt, exc)
                self.stop.wait(Backoff().delay(attempt))
                continue
            attempt = 0
            summary.passes += 1
            if on_pass is not None:
                on_pass(result)
            if result.idle:
                if once:
                    break
                self.stop.wait(self.options.poll_s)
        summary.seconds = round(time.perf_counter() - started, 3)
        summary.applied_seq = self.applied
        summary.totals = dict(self.totals)
        return summary

    def catch_up(self) -> SignalsSummary:
        """Apply everything written so far and sweep every member due (library use)."""
        return self.run(once=True)

    def run_pass(self) -> PassResult:
        started = time.perf_counter()
        result = PassResult()
        self.target.reset()
        self.feed.refresh()
        if self.assigned is None:
            self.assigned = self.feed.last_assigned()
        size = self.options.batch_size
        if self.assigned > self.applied:
            batch = self.feed.sequenced_after(self.applied, size)
        else:
            batch = self.feed.take_new(self.assigned + 1, size)
            self.assigned = max(self.assigned, batch.last_seq)
        outcome = self.applier.apply(batch.events)
        result.taken, result.malformed = batch.taken, batch.malformed
        result.applied = len(batch.events)
        for name in ("profiles_written", "viewers_written", "missing_profiles", "conflicts"):
            setattr(result, name, getattr(outcome, name))
        if batch.taken:
            self.applied = batch.last_seq
        if outcome.profiles_written:
            # the sweep reads what this batch wrote, and lifts or damps against the mean
            # exposure including it (not the one read before the batch)
            self._wrote_profiles = True
            self.target.reset()
        result.swept = self._sweep()
        self._wrote_profiles = bool(result.swept)
        result.seconds = time.perf_counter() - started
        self._count(result)
        if batch.taken or result.swept:
            self.state.checkpoint(self.applied, self.totals)
        return result

    def _sweep(self) -> int:
        if self._wrote_profiles:
            self.client.indices.refresh(index=PROFILES)
        return self.sweeper.sweep(self.options.sweep_batch)

    def _count(self, result: PassResult) -> None:
        for name, value in asdict(result).items():
            if name != "seconds" and value:
                self.totals[name] = self.totals.get(name, 0) + int(value)
        if result.taken:
            self.totals["busy_ms"] = self.totals.get("busy_ms", 0) + int(result.seconds * 1000)
