"""State directory pieces: the embedding cache survives restarts, checkpoints are atomic,
status reads them, logs can be JSON lines, metrics are served."""

from __future__ import annotations

import json
import logging
import urllib.request
from pathlib import Path

import numpy as np

from mutuo.sync.embedding_cache import EmbeddingCache
from mutuo.sync.logs import JsonFormatter
from mutuo.sync.metrics import SyncMetrics
from mutuo.sync.prepare import PreparedBatch
from mutuo.sync.sink import WriteOutcome
from mutuo.sync.state import SyncState, read_checkpoint, worker_pid
from mutuo.sync.status import status


def test_cached_vectors_survive_a_restart_once_flushed(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    vector = np.arange(4, dtype=np.float32)
    cache.store({"h1": vector})
    cache.flush()
    cache.store({"h2": vector})  # stored, never flushed: a crash would lose it
    cache._db.close()  # type: ignore[union-attr]  # simulate the crash
    reopened = EmbeddingCache(tmp_path / "e.sqlite")
    found = reopened.lookup(["h1", "h2"])
    assert list(found) == ["h1"] and np.array_equal(found["h1"], vector)
    reopened.close()


def test_the_memory_part_of_the_cache_is_bounded(tmp_path: Path) -> None:
    cache = EmbeddingCache(None, memory_entries=2)
    cache.store({f"h{i}": np.zeros(2, dtype=np.float32) for i in range(5)})
    assert sorted(cache.lookup([f"h{i}" for i in range(5)])) == ["h3", "h4"]


def test_checkpoints_and_status(tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    log.write_bytes(b"x" * 100)
    state = SyncState(tmp_path / "state", source=f"file://{log}", mapping="profiles")
    state.save(
        {"offset": 40},
        "stream",
        {
            "totals": {"dead_letters": 2, "retries": 1},
            "lag_s": 0.5,
            "docs_per_s": 10.0,
            "caught_up": False,
        },
    )
    report = status(tmp_path / "state")
    assert report["running"] and report["pid"] == worker_pid(tmp_path / "state")
    assert (
        report["backlog_bytes"] == 60
        and report["errors"]["dead_letters"] == 2
        and report["lag_s"] == 0.5
    )
    state.close()
    assert not status(tmp_path / "state")["running"]
    assert read_checkpoint(tmp_path / "state")["position"] == {"offset": 40}
    assert not list((tmp_path / "state").glob(".*.tmp"))  # replaced, not left behind


def test_json_logs_carry_the_extra_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "mutuo.sync.worker",
            "levelname": "INFO",
            "msg": "checkpoint %s",
            "args": ("stream",),
            "changes": 3,
        }
    )
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["message"] == "checkpoint stream"
        and line["changes"] == 3
        and line["logger"] == "mutuo.sync.worker"
    )


def test_metrics_are_served_for_prometheus() -> None:
    metrics = SyncMetrics("profiles")
    port = metrics.serve(0, host="127.0.0.1")
    try:
        batch = PreparedBatch(
            [], {}, {}, [], {}, "stream", True, changes=5, embedded=2, cache_hits=3
        )
        metrics.record(
            batch, WriteOutcome(indexed=4, stale=1, requests=1), 0.01, 0.2, 1_800_000_000.0
        )
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        metrics.close()
    assert 'mutuo_sync_changes_total{mapping="profiles"} 5.0' in text
    assert 'mutuo_sync_documents_total{mapping="profiles",result="indexed"} 4.0' in text
    assert 'mutuo_sync_embeddings_total{cache="miss",mapping="profiles"} 2.0' in text
    assert 'mutuo_sync_lag_seconds{mapping="profiles"} 0.2' in text
