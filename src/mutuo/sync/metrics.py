"""Prometheus metrics of the sync worker (``--metrics-port``).

Each worker has its own registry (tests and benchmarks run several in one process);
``serve`` exposes it on ``/metrics`` with prometheus_client's HTTP server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

if TYPE_CHECKING:
    from .prepare import PreparedBatch
    from .sink import WriteOutcome

_STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class SyncMetrics:
    def __init__(self, mapping: str) -> None:
        self.registry = CollectorRegistry()
        labels = ["mapping"]
        self.changes = Counter(
            "mutuo_sync_changes", "Source changes read.", labels, registry=self.registry
        )
        self.documents = Counter(
            "mutuo_sync_documents",
            "Documents written, by result (indexed, deleted, stale, dead_letter).",
            [*labels, "result"],
            registry=self.registry,
        )
        self.retries = Counter(
            "mutuo_sync_retries",
            "Bulk items retried after a transient failure (429, 5xx, write block, timeout).",
            labels,
            registry=self.registry,
        )
        self.conflicts = Counter(
            "mutuo_sync_conflicts",
            "Merge writes retried because another writer changed the document in between.",
            labels,
            registry=self.registry,
        )
        self.embeddings = Counter(
            "mutuo_sync_embeddings",
            "Texts needing a vector, by cache result (hit, miss = embedded).",
            [*labels, "cache"],
            registry=self.registry,
        )
        self.bulk_requests = Counter(
            "mutuo_sync_bulk_requests", "_bulk requests sent.", labels, registry=self.registry
        )
        self.stage_seconds = Histogram(
            "mutuo_sync_stage_seconds",
            "Time per batch in each stage (prepare = map + embed, write = bulk + checkpoint).",
            [*labels, "stage"],
            buckets=_STAGE_BUCKETS,
            registry=self.registry,
        )
        self.lag = Gauge(
            "mutuo_sync_lag_seconds",
            "Source time to acknowledgement of the last applied change.",
            labels,
            registry=self.registry,
        )
        self.checkpoint = Gauge(
            "mutuo_sync_last_checkpoint_timestamp_seconds",
            "Unix time of the last checkpoint.",
            labels,
            registry=self.registry,
        )
        self.caught_up = Gauge(
            "mutuo_sync_caught_up",
            "1 when the last batch emptied the source.",
            labels,
            registry=self.registry,
        )
        self.mapping = mapping

    def record(
        self,
        batch: PreparedBatch,
        outcome: WriteOutcome,
        write_seconds: float,
        lag: float,
        at: float,
    ) -> None:
        m = self.mapping
        self.changes.labels(m).inc(batch.changes)
        for result, n in (
            ("indexed", outcome.indexed),
            ("deleted", outcome.deleted),
            ("stale", outcome.stale),
            ("dead_letter", outcome.dead_letters),
        ):
            self.documents.labels(m, result).inc(n)
        self.retries.labels(m).inc(outcome.retries)
        self.conflicts.labels(m).inc(outcome.conflicts)
        self.embeddings.labels(m, "hit").inc(batch.cache_hits)
        self.embeddings.labels(m, "miss").inc(batch.embedded)
        self.bulk_requests.labels(m).inc(outcome.requests)
        self.stage_seconds.labels(m, "prepare").observe(batch.embed_seconds)
        self.stage_seconds.labels(m, "write").observe(write_seconds)
        self.lag.labels(m).set(lag)
        self.checkpoint.labels(m).set(at)
        self.caught_up.labels(m).set(1 if batch.caught_up else 0)

    def serve(self, port: int, host: str = "0.0.0.0") -> int:
        """Expose ``/metrics``; the bound port (``port=0`` picks a free one)."""
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        return int(self._server.server_address[1])

    def close(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None:
            server.shutdown()
            server.server_close()
