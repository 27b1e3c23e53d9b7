"""``mutuo bench recommend``: a full ``mutuo-recommend`` call on a synthetic marketplace.

A call is what an app backend does (the documented protocol): ``GET profiles/_doc/ID``,
then ``POST profiles/_search/template`` with the viewer's profile -- hard filters inside
two k-NN candidate sources and a lexical one, an ``sltr`` rescore over a 200-document
window with the installed model, then the marketplace rescore. Every viewer is different
and has a viewer_state (50 seen members), so terms lookups and per-viewer filters are
computed for real.

Measured, in one run:

* ``in_process``: through ``Engine.handle`` (request bytes in, response bytes out), one
  client: the engine's own cost;
* ``serve``: the same calls over HTTP against ``mutuo serve`` (a separate process on the
  same data), with 1 and with 4 concurrent clients: latency and queries/s;
* ``raw_numpy``: the same stages written directly in numpy over prepared arrays (masks,
  exact cosine, window, linear score): what the computation costs without an engine,
  measured interleaved with ``in_process`` (viewer by viewer) so that both see the same
  load from other processes; ``*_cpu``: the same calls' CPU time (all of this process's
  threads: BLAS and faiss threads that spin-wait after a call count too, so it can exceed
  the wall time).
"""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click
import numpy as np
import orjson
from opensearchpy import OpenSearch

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..client import connect
from ..engine.connection import EmbeddedConnection
from ..recommend.requests import recommend_request
from .common import emit, latency_stats, peak_rss_mb
from .recommend_market import BenchMarket, RawRecommend, build_market

SEEN = 50
TARGET_P50_MS, TARGET_P99_MS = 20.0, 60.0


def _load(client: OpenSearch, market: BenchMarket, root: str, batch: int = 1000) -> float:
    apply_plan(client, make_plan(client, load_artifacts(root)), lambda _m: None)
    client.indices.put_settings(index="profiles", body={"index": {"refresh_interval": "-1"}})
    started = time.perf_counter()
    for start in range(0, len(market.docs), batch):
        body: list[Any] = []
        for i in range(start, min(start + batch, len(market.docs))):
            body += [{"index": {"_index": "profiles", "_id": market.ids[i]}}, market.document(i)]
        if client.bulk(body=body)["errors"]:
            raise click.ClickException("bulk indexing reported item errors")
    client.indices.refresh(index="profiles")
    return time.perf_counter() - started


def _viewer_states(
    client: OpenSearch, market: BenchMarket, viewers: list[int], seed: int
) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    seen: dict[int, np.ndarray] = {}
    body: list[Any] = []
    for i in viewers:
        seen[i] = rng.choice(len(market.ids), size=SEEN, replace=False)
        ids = [market.ids[j] for j in seen[i]]
        body += [{"index": {"_index": "viewer_state", "_id": market.ids[i]}}]
        body += [{"member_id": market.ids[i], "seen_ids": ids}]
    client.bulk(body=body, refresh=True)
    return seen


def _call(handle: Any, viewer_id: str) -> int:
    """GET the viewer, run the template: the two round trips, in process."""
    status, _h, data = handle("GET", f"/profiles/_doc/{viewer_id}", {}, b"")
    if status != 200:
        raise click.ClickException(f"GET {viewer_id} failed: {data[:300]!r}")
    viewer = orjson.loads(data)["_source"]
    body = orjson.dumps(recommend_request(viewer_id, viewer, 20))
    status, _h, data = handle("POST", "/profiles/_search/template", {}, body)
    if status != 200:
        raise click.ClickException(f"recommend failed: {data[:500]!r}")
    return len(orjson.loads(data)["hits"]["hits"])


def _in_process(
    client: OpenSearch,
    ids: list[str],
    warm: int,
    raw: RawRecommend,
    viewers: list[int],
    seen: dict[int, np.ndarray],
) -> dict[str, Any]:
    """The engine's calls and the raw baseline, interleaved viewer by viewer, so both see
    the same machine (other processes' load changes within a run); wall and CPU time."""
    connections = client.transport.connection_pool.connections
    engine = next(c for c in connections if isinstance(c, EmbeddedConnection)).engine
    for viewer_id in ids[:warm]:
        _call(engine.handle, viewer_id)
    wall: dict[str, list[float]] = {"engine": [], "raw": []}
    cpu: dict[str, list[float]] = {"engine": [], "raw": []}
    hits = 0
    for viewer_id, i in zip(ids[warm:], viewers[warm:], strict=True):
        t0, c0 = time.perf_counter(), time.process_time()
        hits += _call(engine.handle, viewer_id)
        wall["engine"].append((time.perf_counter() - t0) * 1000)
        cpu["engine"].append((time.process_time() - c0) * 1000)
        t0, c0 = time.perf_counter(), time.process_time()
        raw.top(i, seen[i])
        wall["raw"].append((time.perf_counter() - t0) * 1000)
        cpu["raw"].append((time.process_time() - c0) * 1000)
    mean_hits = round(hits / max(1, len(wall["engine"])), 2)
    return {
        "in_process": {**latency_stats(wall["engine"]), "mean_hits": mean_hits},
        "in_process_cpu": latency_stats(cpu["engine"]),
        "raw_numpy": latency_stats(wall["raw"]),
        "raw_numpy_cpu": latency_stats(cpu["raw"]),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(path: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    command = [sys.executable, "-c", "from mutuo.cli import main; main()", "serve"]
    process = subprocess.Popen(
        [*command, "--data", path, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"mutuo serve exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, url
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise click.ClickException("mutuo serve did not start within 10 minutes")


def _serve_run(url: str, ids: list[str], clients: int) -> dict[str, Any]:
    """Each client runs its share of ``ids`` (GET + template over HTTP), all at once."""
    shares = [ids[k::clients] for k in range(clients)]
    samples: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def work(k: int) -> None:
        http = connect(url)
        try:
            for viewer_id in shares[k]:
                t0 = time.perf_counter()
                viewer = http.get(index="profiles", id=viewer_id)["_source"]
                http.search_template(index="profiles", body=recommend_request(viewer_id, viewer))
                samples[k].append((time.perf_counter() - t0) * 1000)
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            http.close()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise click.ClickException(f"a client failed: {errors[0]!r}")
    flat = [s for part in samples for s in part]
    return {**latency_stats(flat), "queries_per_s": round(len(flat) / elapsed, 1)}


def _serve(path: str, ids: list[str], warm: int) -> dict[str, Any]:
    process, url = _start_server(path)
    try:
        _serve_run(url, ids[:warm], 1)
        return {
            "clients_1": _serve_run(url, ids[warm:], 1),
            "clients_4": _serve_run(url, ids[warm:], 4),
        }
    finally:
        process.terminate()
        process.wait(timeout=120)


def run(members: int, queries: int, seed: int, root: str) -> dict[str, Any]:
    market = build_market(members, seed)
    rng = np.random.default_rng(seed)
    active = [i for i, d in enumerate(market.docs) if d["status"] == "active"]
    warm = 20
    viewers = [int(i) for i in rng.choice(active, size=queries + warm, replace=False)]
    ids = [market.ids[i] for i in viewers]
    report: dict[str, Any] = {"benchmark": "recommend", "members": members, "queries": queries}
    with tempfile.TemporaryDirectory(prefix="mutuo-bench-recommend-") as folder:
        path = str(Path(folder) / "engine")
        client = connect(f"embedded://{path}")
        try:
            report["index_seconds"] = round(_load(client, market, root), 1)
            seen = _viewer_states(client, market, viewers, seed)
            raw = RawRecommend(market)
            gc.collect()
            gc.freeze()
            report.update(_in_process(client, ids, warm, raw, viewers, seen))
            gc.unfreeze()
        finally:
            client.close()
        del market, raw
        gc.collect()
        report["serve"] = _serve(path, ids, warm)
    p50, p99 = report["in_process"]["p50_ms"], report["in_process"]["p99_ms"]
    report["ratio_p50_to_raw"] = round(p50 / report["raw_numpy"]["p50_ms"], 2)
    cpu_ratio = report["in_process_cpu"]["p50_ms"] / report["raw_numpy_cpu"]["p50_ms"]
    report["ratio_cpu_p50_to_raw"] = round(cpu_ratio, 2)
    report["targets"] = {
        "in_process_p50_ms_under": TARGET_P50_MS,
        "in_process_p99_ms_under": TARGET_P99_MS,
        "met": p50 < TARGET_P50_MS and p99 < TARGET_P99_MS,
    }
    report["load_average_1m"] = round(os.getloadavg()[0], 2)
    report["peak_rss_mb"] = peak_rss_mb()
    return report


@click.command(name="recommend")
@click.option("--members", default=100_000, show_default=True, help="Profiles to index.")
@click.option("--queries", default=200, show_default=True, help="Measured calls per setting.")
@click.option("--seed", default=7, show_default=True)
@click.option("--root", default=".", show_default=True, help="The artifacts' folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(members: int, queries: int, seed: int, root: str, as_json: bool) -> None:
    """Latency and queries/s of a full mutuo-recommend call, against raw numpy.

    \b
    Example:
      mutuo bench recommend --members 100000 --json
    """
    emit(run(members, queries, seed, root), as_json)
