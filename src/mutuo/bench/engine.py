"""``mutuo bench engine``: bulk indexing throughput, reopen time and peak memory.

The baseline is the floor of the durable store: the same JSON rows inserted straight
into SQLite (WAL, same pragmas, same batch size) in the same run, with no mapping, no
versioning and no indexing. The ratio says what the engine costs on top of its storage.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import orjson

from ..client import connect
from ..demo.population import generate_members
from ..engine.connection import acquire_engine, release_engine
from .common import emit, peak_rss_mb

MAPPING = {
    "properties": {
        "status": {"type": "keyword"},
        "gender": {"type": "keyword"},
        "seeking": {"type": "keyword"},
        "age": {"type": "integer"},
        "age_min": {"type": "integer"},
        "age_max": {"type": "integer"},
        "location": {"type": "geo_point"},
        "city": {"type": "keyword"},
        "max_distance_km": {"type": "integer"},
        "headline": {"type": "text"},
        "bio": {"type": "text"},
        "interests": {"type": "keyword"},
        "job": {"type": "keyword"},
        "languages": {"type": "keyword"},
        "created_at": {"type": "date"},
        "last_active_at": {"type": "date"},
    }
}


def _docs(n: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    return [(m.id, m.profile) for m in generate_members(n, seed=seed)]


def raw_sqlite_docs_per_s(
    docs: list[tuple[str, dict[str, Any]]], batch: int, directory: Path
) -> float:
    db = sqlite3.connect(str(directory / "raw.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, source BLOB) WITHOUT ROWID")
    start = time.perf_counter()
    for i in range(0, len(docs), batch):
        rows = [(doc_id, orjson.dumps(src)) for doc_id, src in docs[i : i + batch]]
        db.execute("BEGIN")
        db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?)", rows)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return len(docs) / elapsed


def run(n_docs: int, batch: int, seed: int) -> dict[str, Any]:
    docs = _docs(n_docs, seed)
    with tempfile.TemporaryDirectory(prefix="mutuo-bench-") as tmp:
        directory = Path(tmp)
        raw_rate = raw_sqlite_docs_per_s(docs, batch, directory)
        path = str(directory / "engine")
        client = connect(f"embedded://{path}")
        client.indices.create(index="profiles", body={"mappings": MAPPING})
        start = time.perf_counter()
        for i in range(0, len(docs), batch):
            body: list[dict[str, Any]] = []
            for doc_id, src in docs[i : i + batch]:
                body.append({"index": {"_index": "profiles", "_id": doc_id}})
                body.append(src)
            response = client.bulk(body=body)
            if response["errors"]:
                raise click.ClickException("bulk indexing reported item errors")
        client.indices.refresh(index="profiles")
        elapsed = time.perf_counter() - start
        count = client.count(index="profiles")["count"]
        client.close()
        start = time.perf_counter()
        engine = acquire_engine(path)
        reopen_s = time.perf_counter() - start
        reopened_docs = engine.indices["profiles"].shard.num_docs
        release_engine(engine)
    rate = n_docs / elapsed
    return {
        "benchmark": "engine",
        "docs": n_docs,
        "batch": batch,
        "indexed": count,
        "bulk_docs_per_s": round(rate, 1),
        "bulk_seconds_incl_refresh": round(elapsed, 3),
        "raw_sqlite_docs_per_s": round(raw_rate, 1),
        "ratio_to_raw_sqlite": round(rate / raw_rate, 3),
        "reopen_seconds": round(reopen_s, 3),
        "reopened_docs": reopened_docs,
        "peak_rss_mb": peak_rss_mb(),
    }


@click.command(name="engine")
@click.option("--docs", "n_docs", default=100_000, show_default=True, help="Documents to index.")
@click.option("--batch", default=1000, show_default=True, help="Documents per _bulk request.")
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(n_docs: int, batch: int, seed: int, as_json: bool) -> None:
    """Bulk indexing throughput (with the final refresh), reopen time and peak memory.

    \b
    Example:
      mutuo bench engine --docs 100000 --json
    """
    emit(run(n_docs, batch, seed), as_json)
