"""``mutuo bench signals``: how fast the signals worker applies events, and how fresh.

Three measurements in one run, on one embedded engine with the project's artifacts and
N members with 384-d profile vectors:

* throughput: E events of a realistic mix (impressions, likes, passes, messages, replies,
  matches, a few blocks) recorded, then applied by ``catch_up`` in batches; events/s over
  the passes' busy time, with where the time went (per API call);
* raw baseline: the same profile and viewer_state documents written by one ``_mget`` and
  one ``_bulk`` per batch with bodies computed in advance: what the I/O alone costs;
* freshness: with the worker following ``ubi_events`` in a thread, a like is recorded and
  timed until a search of ``profiles`` shows it (the target's ``likes_received_7d``).
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import numpy as np
from opensearchpy import OpenSearch

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..client import connect
from ..events import Event, record
from ..signals import SignalsOptions, SignalsWorker
from .common import emit, latency_stats, peak_rss_mb

MIX = {
    "impression": 0.70,
    "like": 0.12,
    "pass": 0.12,
    "message": 0.02,
    "reply": 0.02,
    "match": 0.015,
    "block": 0.005,
}


def _members(client: OpenSearch, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    ids = [f"m{i:06d}" for i in range(n)]
    for start in range(0, n, 1000):
        body: list[dict[str, Any]] = []
        for member_id in ids[start : start + 1000]:
            v = rng.normal(size=384).astype(np.float32)
            body += [
                {"create": {"_index": "profiles", "_id": member_id}},
                {
                    "status": "active",
                    "created_at": "2026-11-01T00:00:00Z",
                    "profile_vector": (v / np.linalg.norm(v)).tolist(),
                },
            ]
        client.bulk(body=body)
    client.indices.refresh(index="profiles")
    return ids


def _events(ids: list[str], n: int, seed: int, start: datetime) -> list[Event]:
    """``n`` events between random members, one a second up to now (the worker's clock)."""
    rng = random.Random(seed)
    actions, weights = list(MIX), list(MIX.values())
    out = []
    for i in range(n):
        a, b = rng.sample(ids, 2)
        at = start + timedelta(seconds=i)
        out.append(Event(a, rng.choices(actions, weights)[0], b, at))
    return out


class _CallTimer:
    """Wraps client methods to add up the time spent in each (per API call)."""

    def __init__(self, client: OpenSearch) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._saved: list[tuple[Any, str, Any]] = []
        for owner, name in ((client, "search"), (client, "bulk"), (client, "mget")):
            self._wrap(owner, name, name)
        self._wrap(client.indices, "refresh", "refresh")

    def _wrap(self, owner: Any, attr: str, label: str) -> None:
        real = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            index = kwargs.get("index") or ""
            key = f"{label}:{index}" if index else label
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - started
                self.calls[key] += 1

        self._saved.append((owner, attr, real))
        setattr(owner, attr, timed)

    def restore(self) -> None:
        for owner, attr, real in self._saved:
            setattr(owner, attr, real)

    def report(self) -> dict[str, Any]:
        return {
            key: {"seconds": round(self.seconds[key], 3), "calls": self.calls[key]}
            for key in sorted(self.seconds, key=lambda k: -self.seconds[k])
        }


def _throughput(
    client: OpenSearch, worker: SignalsWorker, ids: list[str], n_events: int
) -> dict[str, Any]:
    start = datetime.now(UTC) - timedelta(seconds=n_events)
    events = _events(ids, n_events, 11, start)
    for offset in range(0, len(events), 5000):
        record(client, events[offset : offset + 5000])
    timer = _CallTimer(client)
    try:
        summary = worker.catch_up()
    finally:
        timer.restore()
    t = summary.totals
    return {
        "events": t.get("taken", 0),
        "batch_size": worker.options.batch_size,
        "passes": summary.passes,
        "seconds": summary.seconds,
        "events_per_s": round(t.get("taken", 0) / summary.seconds, 1),
        "profiles_written": t.get("profiles_written", 0),
        "viewers_written": t.get("viewers_written", 0),
        "conflicts": t.get("conflicts", 0),
        "time_by_call": timer.report(),
    }


def _raw_baseline(client: OpenSearch, ids: list[str], n_events: int, batch: int) -> dict[str, Any]:
    """One _mget + one _bulk per batch of the documents a pass would touch, bodies ready."""
    rng = random.Random(12)
    seconds, docs = 0.0, 0
    for _ in range(max(1, n_events // batch)):
        touched = sorted({m for _ in range(batch) for m in rng.sample(ids, 2)})
        body = {"impressions_7d": rng.random(), "like_rate": rng.random(), "signals_seq": 1}
        actions: list[dict[str, Any]] = []
        for m in touched:
            actions += [{"update": {"_index": "profiles", "_id": m}}, {"doc": body}]
            actions += [
                {"index": {"_index": "viewer_state", "_id": m}},
                {"member_id": m, "seen_ids": touched[:20]},
            ]
        started = time.perf_counter()
        client.mget(body={"docs": [{"_index": "profiles", "_id": m} for m in touched]})
        client.bulk(body=actions)
        seconds += time.perf_counter() - started
        docs += len(touched)
    return {"docs_written": docs * 2, "seconds": round(seconds, 3)}


def _freshness(
    client: OpenSearch, worker: SignalsWorker, ids: list[str], samples: int
) -> dict[str, Any]:
    """The worker follows the events (as ``mutuo signals run`` does) while likes are timed."""
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    latencies: list[float] = []
    try:
        for i in range(samples):
            target = ids[-1 - i]
            latencies.append(_time_until_visible(client, ids[i], target))
    finally:
        worker.stop.set()
        thread.join()
    return {"poll_s": worker.options.poll_s, **latency_stats(latencies)}


def _time_until_visible(client: OpenSearch, actor: str, target: str) -> float:
    query = {
        "bool": {
            "filter": [{"ids": {"values": [target]}}, {"range": {"likes_received_7d": {"gt": 0}}}]
        }
    }
    started = time.perf_counter()
    record(client, [Event(actor, "like", target)])
    while not client.count(index="profiles", body={"query": query})["count"]:
        time.sleep(0.005)
    return (time.perf_counter() - started) * 1000


def run_bench(
    members: int, events: int, batch: int, samples: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    root = Path(__file__).resolve().parents[3]
    with tempfile.TemporaryDirectory(prefix="mutuo-bench-signals-") as directory:
        client = connect(f"embedded://{directory}/engine")
        try:
            apply_plan(client, make_plan(client, load_artifacts(root)), lambda _m: None)
            progress(f"indexing {members} members")
            ids = _members(client, members, 7)
            options = SignalsOptions(batch_size=batch, poll_s=0.05, sweep_batch=0)
            worker = SignalsWorker(client, options=options)
            progress(f"applying {events} events")
            throughput = _throughput(client, worker, ids, events)
            progress("raw baseline")
            raw = _raw_baseline(client, ids, events, batch)
            progress(f"freshness ({samples} likes)")
            freshness = _freshness(client, worker, ids, samples)
        finally:
            client.close()
    return {
        "bench": "signals",
        "members": members,
        "throughput": throughput,
        "raw_mget_bulk": raw,
        "ratio_to_raw": round(throughput["seconds"] / raw["seconds"], 2)
        if raw["seconds"]
        else None,
        "freshness_ms": freshness,
        "peak_rss_mb": peak_rss_mb(),
    }


@click.command(name="signals")
@click.option("--members", default=10_000, show_default=True)
@click.option("--events", default=20_000, show_default=True)
@click.option("--batch-size", default=1000, show_default=True)
@click.option("--samples", default=30, show_default=True, help="Freshness measurements.")
@click.option("--json", "as_json", is_flag=True)
def command(members: int, events: int, batch_size: int, samples: int, as_json: bool) -> None:
    """Signals worker: events/s of catch-up passes against raw mget+bulk; event-to-search latency.

    \b
    Example:
      mutuo bench signals --members 10000 --events 20000 --json
    """
    log = (lambda _m: None) if as_json else (lambda m: click.echo(m, err=True))
    emit(run_bench(members, events, batch_size, samples, log), as_json)
