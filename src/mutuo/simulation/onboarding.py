"""Members join the simulated marketplace the way real ones join the product: a change
in the source (the ``file://`` change log, the sync's local source) that the sync worker
maps, embeds and indexes into ``profiles``."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from opensearchpy import OpenSearch

from ..sync.changelog import ChangeLogWriter
from ..sync.config import load_mapping
from ..sync.embedder import Embedder
from ..sync.sources import FileSource
from ..sync.state import SyncState
from ..sync.worker import RunSummary, SyncWorker, WorkerOptions
from .world import SimMember


class Onboarding:
    """Appends members to the change log and syncs it; one per run directory.

    Arms of an experiment each need a fresh engine but the same members: pass one
    ``embedder`` (the model loads once) and ``warm_cache``, the :attr:`cache_path` of an
    earlier run, so no text is embedded twice.
    """

    def __init__(
        self,
        client: OpenSearch,
        root: Path,
        directory: Path,
        embedder: Embedder | None = None,
        warm_cache: Path | None = None,
    ) -> None:
        self.client = client
        self.mapping = load_mapping(root / "sync" / "profiles.yaml")
        directory.mkdir(parents=True, exist_ok=True)
        self.cache_path = directory / "sync" / "embeddings.sqlite"
        if warm_cache is not None and warm_cache.exists() and not self.cache_path.exists():
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(warm_cache, self.cache_path)
        self.log = directory / "changes.jsonl"
        self.source = FileSource(self.log, self.mapping.collection)
        self.state = SyncState(
            directory / "sync", source=self.source.description, mapping=self.mapping.name
        )
        self._embedder = embedder
        self.synced: set[str] = set()
        self.embedded = 0  # texts embedded by the model, since the sync state was created
        self.cache_hits = 0  # texts whose vector came from the embedding cache

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder()
        return self._embedder

    def add(self, members: Sequence[SimMember]) -> RunSummary | None:
        """Write one insert per new member, then sync the log until caught up."""
        fresh = [m for m in members if m.id not in self.synced]
        if not fresh:
            return None
        with ChangeLogWriter(self.log) as writer:
            writer.append_many([("insert", m.id, m.profile) for m in fresh])
        worker = SyncWorker(
            self.client,
            self.mapping,
            self.source,
            self.state,
            self.embedder,
            WorkerOptions(once=True),
        )
        summary = worker.run()
        self.client.indices.refresh(index=self.mapping.index)
        self.synced.update(m.id for m in fresh)
        self.embedded = summary.totals.embedded  # the checkpoint keeps running totals
        self.cache_hits = summary.totals.cache_hits
        return summary

    def close(self) -> None:
        self.state.close()
