"""``mutuo bench knn``: k-NN recall and latency on the embedded engine, against raw faiss.

Vectors are clustered Gaussians, normalised (like text embeddings), so recall is
meaningful; every doc also gets topic words (for BM25) and two filter buckets (10% and
0.5% of the docs). Measured in one run:

* recall@10 of the ``knn`` query against exact search (numpy), unfiltered and filtered;
* p50/p99 of the ``knn`` query unfiltered, with a 10% filter (HNSW with the filter as a
  selector) and with a 0.5% filter (exact search, as the plugin's rule picks);
* the baseline: raw faiss ``search`` on the very graph the engine built (same vectors,
  same ``ef_search``; with the 10% filter as a prebuilt ``IDSelectorBitmap``), and the
  engine's overhead over it, both for the query alone (``Knn.run`` on a search context)
  and for a whole ``_search`` request (JSON in and out, no client). All measurements are
  interleaved call by call, so the load of a shared machine weighs on them alike;
* a hybrid query (BM25 + k-NN, min_max + arithmetic_mean pipeline) p50/p99.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from typing import Any

import click
import faiss
import numpy as np
import orjson

from ..engine.connection import acquire_engine, release_engine
from ..engine.engine import Engine
from ..engine.queries import parse_query
from ..engine.search_context import SearchContext
from ..engine.vectors import DEFAULT_EF_SEARCH, graphs_of
from .common import emit, latency_stats, peak_rss_mb

INDEX = "bench"
K = 10
PIPELINE = {
    "phase_results_processors": [
        {
            "normalization-processor": {
                "normalization": {"technique": "min_max"},
                "combination": {
                    "technique": "arithmetic_mean",
                    "parameters": {"weights": [0.3, 0.7]},
                },
            }
        }
    ]
}


class Corpus:
    """Clustered unit vectors (noise twice the center norm: neighbours are not trivial),
    with topic words and filter buckets."""

    def __init__(self, n: int, dim: int, n_queries: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        clusters = max(16, n // 1000)
        self.centers = rng.normal(size=(clusters, dim)).astype(np.float32)
        self.labels = rng.integers(0, clusters, size=n)
        self.vectors = self._sample(rng, self.labels, dim)
        query_labels = rng.integers(0, clusters, size=n_queries)
        self.queries = self._sample(rng, query_labels, dim)
        self.vocab = [[f"t{c}w{j}" for j in range(12)] for c in range(clusters)]
        self.words = [" ".join(rng.choice(self.vocab[c], size=6)) for c in self.labels]
        self.query_text = [" ".join(rng.choice(self.vocab[c], size=2)) for c in query_labels]
        self.bucket10 = (np.arange(n) % 10 == 0).astype(np.int8)
        self.bucket05 = (np.arange(n) % 200 == 0).astype(np.int8)

    def _sample(self, rng: np.random.Generator, labels: np.ndarray, dim: int) -> np.ndarray:
        points = self.centers[labels] + 2.0 * rng.normal(size=(len(labels), dim)).astype(np.float32)
        return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)

    def bulk_body(self, start: int, end: int) -> bytes:
        lines = []
        for i in range(start, end):
            lines.append(orjson.dumps({"index": {"_index": INDEX, "_id": str(i)}}))
            doc = {
                "v": np.round(self.vectors[i], 6).tolist(),
                "text": self.words[i],
                "b10": "y" if self.bucket10[i] else "n",
                "b05": "y" if self.bucket05[i] else "n",
            }
            lines.append(orjson.dumps(doc))
        return b"\n".join(lines) + b"\n"


def _request(engine: Engine, method: str, path: str, body: Any = None, **params: str) -> Any:
    raw = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    status, _headers, data = engine.handle(method, path, params, raw)
    payload = orjson.loads(data) if data else None
    if status >= 300:
        raise click.ClickException(f"{method} {path} failed ({status}): {payload}")
    return payload


def _build(engine: Engine, corpus: Corpus, dim: int, batch: int) -> float:
    mapping = {
        "settings": {"index.knn": True, "index.refresh_interval": "-1"},
        "mappings": {
            "properties": {
                "v": {"type": "knn_vector", "dimension": dim, "space_type": "cosinesimil"},
                "text": {"type": "text"},
                "b10": {"type": "keyword"},
                "b05": {"type": "keyword"},
            }
        },
    }
    _request(engine, "PUT", f"/{INDEX}", mapping)
    _request(engine, "PUT", "/_search/pipeline/hybrid", PIPELINE)
    start = time.perf_counter()
    n = len(corpus.vectors)
    for offset in range(0, n, batch):
        result = _request(
            engine, "POST", "/_bulk", corpus.bulk_body(offset, min(n, offset + batch))
        )
        if result["errors"]:
            raise click.ClickException("bulk indexing reported item errors")
    _request(engine, "POST", f"/{INDEX}/_refresh")
    first = {"size": 1, "query": {"knn": {"v": {"vector": corpus.vectors[0].tolist(), "k": 1}}}}
    _request(engine, "POST", f"/{INDEX}/_search", first)  # the first knn query builds the graph
    return time.perf_counter() - start


def _knn_body(vector: np.ndarray, bucket: str | None) -> dict[str, Any]:
    knn: dict[str, Any] = {"vector": vector.tolist(), "k": K}
    if bucket is not None:
        knn["filter"] = {"term": {bucket: "y"}}
    return {"size": K, "_source": False, "query": {"knn": {"v": knn}}}


def _ids(result: dict[str, Any]) -> list[int]:
    return [int(h["_id"]) for h in result["hits"]["hits"]]


def _recall(engine: Engine, corpus: Corpus, bucket: str | None, n_queries: int) -> float:
    mask = (
        None
        if bucket is None
        else getattr(corpus, "bucket10" if bucket == "b10" else "bucket05") == 1
    )
    pool = np.arange(len(corpus.vectors)) if mask is None else np.flatnonzero(mask)
    hits = 0
    for query in corpus.queries[:n_queries]:
        exact = pool[np.argsort(-(corpus.vectors[pool] @ query), kind="stable")[:K]]
        got = _ids(_request(engine, "POST", f"/{INDEX}/_search", _knn_body(query, bucket)))
        hits += len(set(got) & set(exact.tolist()))
    return round(hits / (min(K, len(pool)) * n_queries), 4)


def _cycle(items: list[Any], offset: int = 0) -> Callable[[], Any]:
    state = {"i": offset}

    def next_item() -> Any:
        item = items[state["i"] % len(items)]
        state["i"] += 1
        return item

    return next_item


def _interleaved(calls: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Any]:
    """Time every call in turn, ``repeat`` rounds: load changes on a shared machine hit all
    of them alike (each call walks its own query list, so none runs on the caches another
    warmed for the same query)."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(3):
        for call in calls.values():
            call()
    for _ in range(repeat):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: latency_stats(values) for name, values in samples.items()}


def _raw_calls(engine: Engine, corpus: Corpus) -> dict[str, Callable[[], Any]]:
    """Raw faiss on the engine's own graph: unfiltered, and with the 10% filter as a bitmap."""
    index = engine.indices[INDEX]
    graph_state = graphs_of(engine).for_index(index)
    graph = graph_state.ensure("v") if graph_state is not None else None
    assert graph is not None
    queries = [q.reshape(1, -1) for q in corpus.queries]
    plain = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
    plain.efSearch = DEFAULT_EF_SEARCH
    ordinals = [index.shard.id_to_ord[str(i)] for i in np.flatnonzero(corpus.bucket10)]
    allowed = np.zeros(graph.ntotal, dtype=bool)
    allowed[graph.ord_to_fid.view()[ordinals]] = True
    bits = np.packbits(allowed, bitorder="little")
    filtered = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
    filtered.efSearch = DEFAULT_EF_SEARCH
    filtered.sel = faiss.IDSelectorBitmap(graph.ntotal, faiss.swig_ptr(bits))
    raw_next, filtered_next = _cycle(queries, 0), _cycle(queries, 1)
    return {
        "raw_faiss": lambda: graph.index.search(raw_next(), K, params=plain),
        "raw_faiss_filter_10pct": lambda: graph.index.search(filtered_next(), K, params=filtered),
        # keeps the bitmap alive as long as the selector that points at it
        "_bits": lambda: bits,
    }


def _latencies(engine: Engine, corpus: Corpus, repeat: int) -> dict[str, Any]:
    index = engine.indices[INDEX]
    calls = _raw_calls(engine, corpus)
    parsed = [parse_query({"knn": {"v": {"vector": q.tolist(), "k": K}}}) for q in corpus.queries]
    query_next = _cycle(parsed, 2)
    calls["knn_query_only"] = lambda: query_next().run(SearchContext(engine, index), True)
    for offset, (label, bucket) in enumerate(
        (("knn_unfiltered", None), ("knn_filter_10pct", "b10"), ("knn_filter_0_5pct", "b05")), 3
    ):
        bodies = [orjson.dumps(_knn_body(q, bucket)) for q in corpus.queries]
        calls[label] = _search_call(engine, _cycle(bodies, offset))
    hybrid = [
        orjson.dumps(
            {
                "size": K,
                "_source": False,
                "query": {
                    "hybrid": {
                        "queries": [
                            {"match": {"text": text}},
                            {"knn": {"v": {"vector": q.tolist(), "k": 100}}},
                        ]
                    }
                },
            }
        )
        for q, text in zip(corpus.queries, corpus.query_text, strict=True)
    ]
    calls["hybrid_min_max_arithmetic"] = _search_call(
        engine, _cycle(hybrid, 6), {"search_pipeline": "hybrid"}
    )
    stats = _interleaved(calls, repeat)
    stats.pop("_bits")
    return stats


def _search_call(
    engine: Engine, bodies: Callable[[], Any], params: dict[str, str] | None = None
) -> Callable[[], Any]:
    """One whole ``_search`` request (JSON in, JSON out), as a server would serve it."""
    return lambda: engine.handle("POST", f"/{INDEX}/_search", dict(params or {}), bodies())


def run(
    n_docs: int, dim: int, n_queries: int, repeat: int, batch: int, seed: int
) -> dict[str, Any]:
    corpus = Corpus(n_docs, dim, n_queries, seed)
    with tempfile.TemporaryDirectory(prefix="mutuo-bench-knn-") as tmp:
        engine = acquire_engine(f"{tmp}/engine")
        try:
            build_s = _build(engine, corpus, dim, batch)
            recall = {
                "unfiltered": _recall(engine, corpus, None, n_queries),
                "filter_10pct": _recall(engine, corpus, "b10", n_queries),
                "filter_0_5pct": _recall(engine, corpus, "b05", n_queries),
            }
            latency = _latencies(engine, corpus, repeat)
        finally:
            release_engine(engine)
    raw_p50 = latency["raw_faiss"]["p50_ms"]
    return {
        "benchmark": "knn",
        "docs": n_docs,
        "dim": dim,
        "k": K,
        "ef_search": DEFAULT_EF_SEARCH,
        "hnsw": {"m": 16, "ef_construction": 100, "space_type": "cosinesimil"},
        "queries": n_queries,
        "index_and_graph_build_seconds": round(build_s, 1),
        "recall_at_10": recall,
        "latency_ms": latency,
        "overhead_over_raw_faiss_p50": {
            "knn_query_only": round(latency["knn_query_only"]["p50_ms"] / raw_p50, 3),
            "search_request": round(latency["knn_unfiltered"]["p50_ms"] / raw_p50, 3),
            "search_request_filter_10pct": round(
                latency["knn_filter_10pct"]["p50_ms"] / latency["raw_faiss_filter_10pct"]["p50_ms"],
                3,
            ),
        },
        "peak_rss_mb": peak_rss_mb(),
    }


@click.command(name="knn")
@click.option("--docs", "n_docs", default=100_000, show_default=True, help="Documents to index.")
@click.option("--dim", default=384, show_default=True, help="Vector dimension.")
@click.option(
    "--queries", "n_queries", default=200, show_default=True, help="Distinct query vectors."
)
@click.option("--repeat", default=300, show_default=True, help="Timed calls per measurement.")
@click.option("--batch", default=2000, show_default=True, help="Documents per _bulk request.")
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    n_docs: int, dim: int, n_queries: int, repeat: int, batch: int, seed: int, as_json: bool
) -> None:
    """k-NN recall@10 and latency (unfiltered, 10% and 0.5% filters, hybrid) vs raw faiss.

    \b
    Example:
      mutuo bench knn --docs 100000 --dim 384 --json
    """
    emit(run(n_docs, dim, n_queries, repeat, batch, seed), as_json)
