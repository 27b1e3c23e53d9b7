"""The demo: generate members into the change log, sync them into ``profiles``, search them.

The members take the product's real path: the change log (``file://`` source) is synced
by the sync worker, with embeddings, into the ``profiles`` alias that the project's
artifacts define (``mutuo apply`` runs first). Everything goes through an opensearch-py
client from :func:`mutuo.connect`, so the same demo runs on the embedded engine (the
default) and on a real cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..sync.config import load_mapping
from ..sync.embedder import Embedder
from ..sync.sources import FileSource
from ..sync.state import SyncState
from ..sync.worker import SyncWorker, WorkerOptions
from .changelog import write_population
from .population import generate_members

INDEX = "profiles"


@dataclass
class DemoReport:
    members: int
    index_seconds: float  # syncing the change log, embeddings included
    written: int = 0  # members appended to the change log by this run
    embedded: int = 0
    searches: list[dict[str, Any]] = field(default_factory=list)


def sync_population(
    client: OpenSearch,
    root: Path,
    log: Path,
    state: Path,
    members: int,
    seed: int,
    embedder: Embedder | None = None,
) -> tuple[int, int, float]:
    """Apply the artifacts, write the members into the log, sync it; (written, embedded, s)."""
    apply_plan(client, make_plan(client, load_artifacts(root)), lambda _m: None)
    written = write_population(log, members, seed)
    mapping = load_mapping(root / "sync" / "profiles.yaml")
    source = FileSource(log, mapping.collection)
    sync_state = SyncState(state, source=source.description, mapping=mapping.name)
    start = time.perf_counter()
    try:
        worker = SyncWorker(
            client, mapping, source, sync_state, embedder or Embedder(), WorkerOptions(once=True)
        )
        summary = worker.run()
    finally:
        sync_state.close()
    client.indices.refresh(index=mapping.index)
    return written, summary.totals.embedded, time.perf_counter() - start


def run_demo(
    client: OpenSearch,
    members: int = 500,
    seed: int = 7,
    root: str | Path = ".",
    log: str | Path = ".mutuo/changes.jsonl",
    state: str | Path = ".mutuo/sync/profiles",
    embedder: Embedder | None = None,
) -> DemoReport:
    """Sync ``members`` synthetic profiles and run a few representative searches."""
    written, embedded, seconds = sync_population(
        client, Path(root), Path(log), Path(state), members, seed, embedder
    )
    viewer = generate_members(1, seed=seed)[0].profile  # the first member of the population
    count = client.count(index=INDEX)["count"]
    report = DemoReport(members=count, index_seconds=seconds, written=written, embedded=embedded)
    searches: dict[str, dict[str, Any]] = {
        "bios mentioning hiking or climbing": {"query": {"match": {"bio": "hiking climbing"}}},
        f"active {'/'.join(viewer['seeking'])} members seeking a {viewer['gender']}": {
            "query": {
                "bool": {
                    "filter": [
                        {"term": {"status": "active"}},
                        {"terms": {"gender": viewer["seeking"]}},
                        {"term": {"seeking": viewer["gender"]}},
                    ]
                }
            }
        },
    }
    for title, body in searches.items():
        result = client.search(index=INDEX, body={**body, "size": 5})
        report.searches.append(
            {
                "title": title,
                "total": result["hits"]["total"]["value"],
                "hits": [
                    {
                        "id": h["_id"],
                        "score": round(h["_score"], 3),
                        "headline": h["_source"]["headline"],
                        "age": h["_source"]["age"],
                        "city": h["_source"]["city"],
                    }
                    for h in result["hits"]["hits"]
                ],
            }
        )
    return report
