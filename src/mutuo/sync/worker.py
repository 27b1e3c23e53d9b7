"""The sync worker: source -> map + embed -> bulk -> checkpoint, as a three-stage pipeline.

    reader thread     source.read()            -> queue ->
    embedding thread  Preparer.prepare()       -> queue ->
    calling thread    Sink.write(), checkpoint

Each stage works on a different batch at once, so the model never waits for the index
and the index never waits for the model; batches stay in order, so checkpoints are
written in order, each only after its bulk is acknowledged. ``stop()`` (SIGINT/SIGTERM)
stops reading and drains what was read; ``abort()`` (a second signal) also abandons
retries. Either way the checkpoint only ever covers acknowledged writes.
"""

from __future__ import annotations

import gc
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from opensearchpy import OpenSearch

from ..errors import ConfigError
from .config import SyncMapping
from .embedder import Embedder
from .metrics import SyncMetrics
from .prepare import PreparedBatch, Preparer
from .sink import Sink, WriteOutcome
from .sources import ReadOptions, Source
from .state import SyncState

log = logging.getLogger("mutuo.sync.worker")

_END = object()
_YOUNG_THRESHOLD = 100_000  # net new container objects between young collections (default 700)


@dataclass(frozen=True)
class WorkerOptions:
    batch_size: int = 256
    once: bool = False  # exit when caught up
    backfill: bool = False  # start over from the source's beginning
    poll_s: float = 0.05
    queue_depth: int = 2


@dataclass
class Totals:
    """Counters kept in the checkpoint (so they add up across restarts)."""

    changes: int = 0
    indexed: int = 0
    deleted: int = 0
    stale: int = 0
    dead_letters: int = 0
    retries: int = 0
    conflicts: int = 0
    embedded: int = 0
    cache_hits: int = 0
    batches: int = 0

    def add(self, batch: PreparedBatch, outcome: WriteOutcome) -> None:
        self.changes += batch.changes
        self.indexed += outcome.indexed
        self.deleted += outcome.deleted
        self.stale += outcome.stale
        self.dead_letters += outcome.dead_letters
        self.retries += outcome.retries
        self.conflicts += outcome.conflicts
        self.embedded += batch.embedded
        self.cache_hits += batch.cache_hits
        self.batches += 1


@dataclass
class Progress:
    """What the worker reports after each checkpoint (for progress bars and tests)."""

    totals: Totals
    run_changes: int
    docs_per_s: float
    lag_s: float
    phase: str
    caught_up: bool
    position: dict[str, Any]
    last_version: int


@dataclass
class RunSummary:
    totals: Totals
    run_changes: int = 0
    seconds: float = 0.0
    stopped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "totals": asdict(self.totals),
            "run_changes": self.run_changes,
            "seconds": round(self.seconds, 3),
            "stopped": self.stopped,
        }


class SyncWorker:
    def __init__(
        self,
        client: OpenSearch,
        mapping: SyncMapping,
        source: Source,
        state: SyncState,
        embedder: Embedder | None,
        options: WorkerOptions | None = None,
        metrics: SyncMetrics | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.mapping = mapping
        self.source = source
        self.state = state
        self.options = options or WorkerOptions()
        self.metrics = metrics or SyncMetrics(mapping.name)
        self.on_progress = on_progress
        self._stop = threading.Event()
        self._abort = threading.Event()
        self._stop_requested = False
        self.preparer = Preparer(mapping, embedder, state.cache)
        self.sink = Sink(client, mapping, source.description, abort=self._abort, known=state.known)

    def stop(self) -> None:
        """Finish what was read, checkpoint it, and return from :meth:`run`."""
        self._stop_requested = True
        self._stop.set()

    def abort(self) -> None:
        """Also give up retrying; unacknowledged batches are replayed on restart."""
        self._stop_requested = True
        self._stop.set()
        self._abort.set()

    def run(self) -> RunSummary:
        try:
            checkpoint = self.state.load()
        except ConfigError:
            if not self.options.backfill:
                raise
            checkpoint = None  # a backfill starts over, whatever the state held
        totals = Totals(**(checkpoint or {}).get("stats", {}).get("totals", {}))
        position = (
            self.source.backfill_position()
            if self.options.backfill
            else (checkpoint or {}).get("position")
        )
        summary = RunSummary(totals)
        started = time.monotonic()
        read_q: queue.Queue[Any] = queue.Queue(self.options.queue_depth)
        ready_q: queue.Queue[Any] = queue.Queue(self.options.queue_depth)
        threads = [
            threading.Thread(
                target=self._read, args=(position, read_q), name="mutuo-sync-read", daemon=True
            ),
            threading.Thread(
                target=self._prepare, args=(read_q, ready_q), name="mutuo-sync-embed", daemon=True
            ),
        ]
        for t in threads:
            t.start()
        thresholds = _freeze_heap()
        try:
            for batch in self._drain(ready_q):
                self._write(batch, totals, started, summary)
        except BaseException:
            self.abort()
            raise
        finally:
            self._stop.set()
            for t in threads:
                t.join(timeout=30)
            _thaw_heap(thresholds)
        summary.seconds = time.monotonic() - started
        summary.stopped = self._stop_requested
        return summary

    # -- stages --------------------------------------------------------------------------

    def _read(self, position: dict[str, Any] | None, out: queue.Queue[Any]) -> None:
        options = ReadOptions(self.options.batch_size, self.options.once, self.options.poll_s)
        try:
            for batch in self.source.read(position, self._stop, options):
                self._put(out, batch)
        except BaseException as exc:  # handed to the writing thread, which raises it
            self._put(out, exc, force=True)
        self._put(out, _END, force=True)

    def _prepare(self, inbox: queue.Queue[Any], out: queue.Queue[Any]) -> None:
        while True:
            item = inbox.get()
            if item is _END or isinstance(item, BaseException):
                self._put(out, item, force=True)
                return
            try:
                self._put(out, self.preparer.prepare(item))
            except BaseException as exc:
                self._put(out, exc, force=True)
                return

    def _put(self, q: queue.Queue[Any], item: Any, force: bool = False) -> None:
        """Hand over an item; while aborting, only end markers and errors go through."""
        while True:
            if self._abort.is_set() and not force:
                return
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                if self._abort.is_set() and force:
                    return

    @staticmethod
    def _drain(ready: queue.Queue[Any]) -> Iterator[PreparedBatch]:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _write(
        self, batch: PreparedBatch, totals: Totals, started: float, summary: RunSummary
    ) -> None:
        begin = time.perf_counter()
        outcome = self.sink.write(batch)
        totals.add(batch, outcome)
        summary.run_changes += batch.changes
        now = time.time()
        lag = max(0.0, now - batch.last_source_time) if batch.changes else 0.0
        rate = summary.run_changes / max(time.monotonic() - started, 1e-9)
        stats = {
            "totals": asdict(totals),
            "docs_per_s": round(rate, 1),
            "lag_s": round(lag, 3),
            "caught_up": batch.caught_up,
            "last_version": batch.last_version,
            "last_source_time": batch.last_source_time,
            "pid": os.getpid(),
        }
        self.state.save(batch.position, batch.phase, stats)
        self.metrics.record(batch, outcome, time.perf_counter() - begin, lag, now)
        if batch.changes:
            _log_checkpoint(batch, outcome, lag)
        if self.on_progress is not None:
            progress = Progress(
                totals, summary.run_changes, rate, lag, batch.phase, batch.caught_up,
                batch.position, batch.last_version,
            )  # fmt: skip
            self.on_progress(progress)


def _freeze_heap() -> tuple[int, int, int]:
    """Keep what exists before the run (the model, the engine's columns) out of the
    garbage collector's passes while it lasts: each would walk that whole heap again
    while the sync allocates a few objects per field of every change. Only the young
    generations are collected first (a full pass over that heap costs a tenth of a second
    or more per run); what older garbage it holds is freed once the run unfreezes it.
    Young collections are also made rarer (the pipeline keeps whole batches alive, so
    frequent ones mostly walk the same live objects again): at 100,000 a pass of 20,000
    unchanged-text updates spends about 25 ms collecting, against 80 ms at 20,000.
    Returns the thresholds that :func:`_thaw_heap` restores."""
    previous = gc.get_threshold()
    gc.collect(1)
    gc.freeze()
    gc.set_threshold(max(previous[0], _YOUNG_THRESHOLD), *previous[1:])
    return previous


def _thaw_heap(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def _log_checkpoint(batch: PreparedBatch, outcome: WriteOutcome, lag: float) -> None:
    fields = {
        "event": "checkpoint",
        "phase": batch.phase,
        "changes": batch.changes,
        "indexed": outcome.indexed,
        "deleted": outcome.deleted,
        "stale": outcome.stale,
        "dead_letters": outcome.dead_letters,
        "embedded": batch.embedded,
        "lag_s": round(lag, 3),
        "position": batch.position,
    }
    log.info(
        "checkpoint %s changes=%d indexed=%d deleted=%d stale=%d dead_letters=%d embedded=%d lag_s=%.3f",
        batch.phase, batch.changes, outcome.indexed, outcome.deleted, outcome.stale,
        outcome.dead_letters, batch.embedded, lag, extra=fields,
    )  # fmt: skip
