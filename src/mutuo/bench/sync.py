"""``mutuo bench sync``: end-to-end sync throughput and latency, against the model alone.

Four measurements in one run, on one embedded engine with the project's artifacts:

* raw embedding: the texts the sync will embed, straight through the model in batches of
  the same size (the baseline: the sync cannot embed faster than this);
* sync with embeddings: a change log of N new members, synced from an empty cache;
* sync without new embeddings: N changes whose text did not change (a cache hit each;
  the merge write sends no vector);
* change-to-searchable latency: changes appended at a steady rate while the worker
  follows the log; each is timed from its append until a search returns the new value.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..client import connect
from ..demo.population import generate_members
from ..sync.changelog import ChangeLogWriter
from ..sync.changes import Change
from ..sync.config import SyncMapping, load_mapping
from ..sync.embedder import Embedder
from ..sync.mapping import Mapper
from ..sync.metrics import SyncMetrics
from ..sync.prepare import Preparer
from ..sync.sink import Sink
from ..sync.sources import FileSource, ReadOptions
from ..sync.state import SyncState
from ..sync.worker import SyncWorker, WorkerOptions
from .common import emit, latency_stats, peak_rss_mb


def _stage_seconds(metrics: SyncMetrics) -> dict[str, float]:
    out = {}
    for metric in metrics.registry.collect():
        if metric.name == "mutuo_sync_stage_seconds":
            for sample in metric.samples:
                if sample.name.endswith("_sum"):
                    out[sample.labels["stage"]] = round(sample.value, 3)
    return out


class Bench:
    def __init__(self, root: Path, directory: Path, batch_size: int, embedder: Embedder) -> None:
        self.mapping: SyncMapping = load_mapping(root / "sync" / "profiles.yaml")
        self.log = directory / "changes.jsonl"
        self.state_dir = directory / "state"
        self.url = f"embedded://{directory / 'engine'}"
        self.batch_size = batch_size
        self.embedder = embedder
        self.client = connect(self.url)
        apply_plan(self.client, make_plan(self.client, load_artifacts(root)), lambda _m: None)

    def sync(self, once: bool = True, stop: threading.Event | None = None) -> dict[str, Any]:
        """Run the worker over the log (until caught up, or until ``stop``)."""
        source = FileSource(self.log, self.mapping.collection)
        state = SyncState(self.state_dir, source=source.description, mapping=self.mapping.name)
        metrics = SyncMetrics(self.mapping.name)
        options = WorkerOptions(batch_size=self.batch_size, once=once, poll_s=0.01)
        client = connect(self.url)
        worker = SyncWorker(client, self.mapping, source, state, self.embedder, options, metrics)
        if stop is not None:

            def stop_when_told() -> None:
                stop.wait()
                worker.stop()

            threading.Thread(target=stop_when_told, daemon=True).start()
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            summary = worker.run()
        finally:
            state.close()
            client.close()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        return {
            "changes": summary.run_changes,
            "seconds": round(seconds, 3),
            "docs_per_s": round(summary.run_changes / seconds, 1),
            # the CPU of the whole process (reader, embedder, writer, the engine's refresh)
            # per change: steadier than docs/s when other jobs share the machine
            "cpu_ms_per_doc": round(cpu_seconds * 1000 / max(summary.run_changes, 1), 4),
            "embedded": summary.totals.embedded,
            "stage_seconds": _stage_seconds(metrics),
        }

    def close(self) -> None:
        self.client.close()


def breakdown(bench: Bench, members: list[Any]) -> dict[str, Any]:
    """Where the time of changes needing no embedding goes: the worker's stages run one
    after the other in this thread (no overlap), each timed; ``bulk_took_s`` is what the
    engine itself reports spending in ``_bulk``."""
    with ChangeLogWriter(bench.log) as writer:
        writer.append_many(
            [
                ("update", m.id, {**m.profile, "last_active_at": "2026-12-02T12:00:00Z"})
                for m in members
            ]
        )
    source = FileSource(bench.log, bench.mapping.collection)
    state = SyncState(bench.state_dir, source=source.description, mapping=bench.mapping.name)
    client = connect(bench.url)
    preparer = Preparer(bench.mapping, bench.embedder, state.cache)
    sink = Sink(client, bench.mapping, source.description, known=state.known)  # as the worker
    times = dict.fromkeys(("read", "prepare", "write", "checkpoint"), 0.0)
    took_ms = changes = body_bytes = 0
    mget_s = 0.0
    try:
        position = (state.load() or {}).get("position")
        batches = source.read(position, threading.Event(), ReadOptions(bench.batch_size, once=True))
        while True:
            t0 = time.perf_counter()
            batch = next(batches, None)
            t1 = time.perf_counter()
            times["read"] += t1 - t0
            if batch is None:
                break
            prepared = preparer.prepare(batch)
            t2 = time.perf_counter()
            outcome = sink.write(prepared)
            t3 = time.perf_counter()
            state.save(batch.position, batch.phase, {})
            times["prepare"] += t2 - t1
            times["write"] += t3 - t2
            times["checkpoint"] += time.perf_counter() - t3
            took_ms += outcome.took_ms
            body_bytes += outcome.body_bytes
            mget_s += outcome.read_seconds
            changes += len(batch.changes)
    finally:
        state.close()
        client.close()
    total = sum(times.values())
    return {
        "changes": changes,
        "docs_per_s_sequential": round(changes / total, 1),
        **{f"{k}_s": round(v, 3) for k, v in times.items()},
        "bulk_took_s": round(took_ms / 1000, 3),  # inside write: the engine's own _bulk time
        "mget_s": round(mget_s, 3),  # inside write: reading versions before the first write
        "client_side_write_s": round(times["write"] - took_ms / 1000 - mget_s, 3),
        "bulk_bytes_per_doc": round(body_bytes / max(changes, 1)),  # small: updates are trimmed
        "per_doc_ms": {
            k: round(v * 1000 / max(changes, 1), 4)
            for k, v in {**times, "bulk_took": took_ms / 1000, "mget": mget_s}.items()
        },
    }


def _combined(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    texts, seconds = before["texts"] + after["texts"], before["seconds"] + after["seconds"]
    rate = round(texts / seconds, 1)
    return {
        "texts": texts,
        "seconds": round(seconds, 3),
        "texts_per_s": rate,
        "before_sync": before,
        "after_sync": after,
    }


def raw_embedding(embedder: Embedder, texts: list[str], batch_size: int) -> dict[str, Any]:
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        embedder.embed(texts[i : i + batch_size])
    seconds = time.perf_counter() - started
    return {
        "texts": len(texts),
        "seconds": round(seconds, 3),
        "texts_per_s": round(len(texts) / seconds, 1),
    }


def latency(bench: Bench, members: list[Any], rate: float, seconds: float) -> dict[str, Any]:
    """Append ``rate`` changes/s (one in five with new text) while the worker follows the
    log; poll the index for each change's marker value."""
    stop = threading.Event()
    follower = threading.Thread(target=bench.sync, kwargs={"once": False, "stop": stop})
    follower.start()
    pending: dict[str, tuple[str, float]] = {}
    lock = threading.Lock()
    latencies: list[float] = []
    n = int(rate * seconds)

    def write() -> None:
        with ChangeLogWriter(bench.log) as writer:
            start = time.perf_counter()
            for i in range(n):
                member = members[i]
                marker = f"2026-12-01T00:00:{i // 1000:02d}.{i % 1000:03d}Z"
                profile = {**member.profile, "last_active_at": marker}
                if i % 5 == 0:
                    profile["bio"] = f"{profile['bio']} Learning to sail, lesson {i}."
                time.sleep(max(0.0, start + i / rate - time.perf_counter()))
                with lock:
                    pending[member.id] = (marker, time.perf_counter())
                writer.append("update", member.id, profile)

    writer = threading.Thread(target=write)
    writer.start()
    deadline = time.perf_counter() + seconds + 30
    while (writer.is_alive() or pending) and time.perf_counter() < deadline:
        with lock:
            ids = list(pending)
        if ids:
            body = {
                "query": {"ids": {"values": ids}},
                "size": len(ids),
                "_source": ["last_active_at"],
            }
            for hit in bench.client.search(index="profiles", body=body)["hits"]["hits"]:
                with lock:
                    marker, at = pending.get(hit["_id"], (None, 0.0))
                    if hit["_source"].get("last_active_at") == marker:
                        latencies.append((time.perf_counter() - at) * 1000)
                        del pending[hit["_id"]]
        time.sleep(0.005)
    writer.join()
    stop.set()
    follower.join()
    return {"rate_per_s": rate, "changes": n, "not_seen": len(pending), **latency_stats(latencies)}


def run(
    root: Path, n_docs: int, batch_size: int, rate: float, latency_s: float, seed: int
) -> dict[str, Any]:
    load_started = time.perf_counter()
    embedder = Embedder()
    load_s = time.perf_counter() - load_started
    members = generate_members(n_docs, seed=seed)
    with tempfile.TemporaryDirectory(prefix="mutuo-bench-sync-") as tmp:
        bench = Bench(root, Path(tmp), batch_size, embedder)
        mapper = Mapper(bench.mapping)
        at = time.time()
        texts = [
            t for m in members if (t := mapper.map(Change("insert", m.id, 1, m.profile, at)).text)
        ]
        # the model alone on half the texts before the sync and half after, so a change in
        # the machine's load during the run weighs on both sides of the ratio
        half = len(texts) // 2
        before = raw_embedding(embedder, texts[:half], batch_size)
        with ChangeLogWriter(bench.log) as writer:
            writer.append_many([("insert", m.id, m.profile) for m in members])
        with_embeddings = {**bench.sync(), "indexed": 0}
        after = raw_embedding(embedder, texts[half:], batch_size)
        raw = _combined(before, after)
        bench.client.indices.refresh(index="profiles")
        with_embeddings["indexed"] = bench.client.count(index="profiles")["count"]
        touched = {"last_active_at": "2026-11-30T12:00:00Z"}  # no text changes
        with ChangeLogWriter(bench.log) as writer:
            writer.append_many([("update", m.id, {**m.profile, **touched}) for m in members])
        without = {**bench.sync(), "where_time_goes": breakdown(bench, members)}
        steady = latency(bench, members, rate, latency_s)
        bench.close()
    head = {
        "benchmark": "sync",
        "docs": n_docs,
        "batch_size": batch_size,
        "model": embedder.model_id,
        "model_load_s": round(load_s, 2),
    }
    return {**head, **_judged(raw, with_embeddings, without, steady), "peak_rss_mb": peak_rss_mb()}


def _judged(
    raw: dict[str, Any],
    with_embeddings: dict[str, Any],
    without: dict[str, Any],
    steady: dict[str, Any],
) -> dict[str, Any]:
    """The measurements next to their targets."""
    ratio = with_embeddings["docs_per_s"] / raw["texts_per_s"]
    p99 = steady.get("p99_ms", float("inf"))
    return {
        "raw_embedding": raw,
        "sync_with_embeddings": {
            **with_embeddings,
            "ratio_to_raw_embedding": round(ratio, 3),
            "target_ratio": 0.85,
            "meets_target": ratio >= 0.85,
        },
        "sync_without_new_embeddings": {
            **without,
            "target_docs_per_s": 5000,
            "meets_target": without["docs_per_s"] >= 5000,
        },
        "change_to_searchable": {
            **steady,
            "target_p99_ms": 1500,
            "meets_target": p99 < 1500 and steady["not_seen"] == 0,
        },
    }


@click.command(name="sync")
@click.option("--docs", "n_docs", default=20_000, show_default=True, help="Members to sync.")
@click.option(
    "--batch-size", default=256, show_default=True, help="Changes per batch (as mutuo sync run)."
)
@click.option(
    "--rate", default=50.0, show_default=True, help="Changes per second in the latency run."
)
@click.option(
    "--latency-seconds", default=20.0, show_default=True, help="Length of the latency run."
)
@click.option(
    "--artifacts",
    "root",
    default=".",
    show_default=True,
    help="Project folder with index_templates/ and sync/.",
)
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    n_docs: int,
    batch_size: int,
    rate: float,
    latency_seconds: float,
    root: str,
    seed: int,
    as_json: bool,
) -> None:
    """Sync throughput with and without embeddings, and change-to-searchable latency.

    \b
    Example:
      mutuo bench sync --docs 20000 --json
    """
    emit(run(Path(root), n_docs, batch_size, rate, latency_seconds, seed), as_json)
