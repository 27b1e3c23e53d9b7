"""Turn a batch of changes into what the sink writes: mapped documents with vectors.

Runs in the worker's embedding thread, never in the thread that writes and
checkpoints: a slow model batch delays only the batches behind it.

Within a batch only the newest change of each document that maps is written (changes
are in source order and each carries the full document); a change that cannot be mapped
goes to the dead letters and leaves the document at its newest valid version, however
the changes were cut into batches. Texts are embedded only when their content hash is
in no cache.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError
from .changes import ChangeBatch, json_safe
from .config import SyncMapping
from .derive import MappingError
from .embedder import Embedder
from .embedding_cache import EmbeddingCache
from .mapping import MappedDoc, Mapper


@dataclass
class DeadLetter:
    doc_id: str
    version: int
    op: str
    stage: str  # decode | map | index
    error_type: str
    reason: str
    document: dict[str, Any] | None = None
    raw: str | None = None


@dataclass
class PreparedBatch:
    docs: list[MappedDoc]
    vectors: dict[str, np.ndarray]  # text hash -> vector: embedded now, or held in memory
    hashes: dict[str, str]  # doc id -> text hash (docs with text only)
    dead: list[DeadLetter]
    position: dict[str, Any]
    phase: str
    caught_up: bool
    changes: int  # changes read, before deduplication
    last_version: int = 0
    last_source_time: float = 0.0
    embedded: int = 0  # texts run through the model
    cache_hits: int = 0
    embed_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    cache: EmbeddingCache | None = None  # holds the vectors of the hashes not in ``vectors``

    def load_vectors(self, hashes: Iterable[str]) -> None:
        """Read into ``vectors`` the cached vectors a write is about to send: most writes
        of an unchanged text send none, so cache hits on disk are only read here."""
        wanted = list(dict.fromkeys(h for h in hashes if h not in self.vectors))
        if not wanted:
            return
        if self.cache is not None:
            self.vectors.update(self.cache.lookup(wanted))
        lost = [h for h in wanted if h not in self.vectors]
        if lost:
            raise ConfigError(
                f"the embedding cache no longer holds {len(lost)} vectors it listed a moment ago; "
                "was the state directory changed by another process?"
            )


class Preparer:
    def __init__(
        self, mapping: SyncMapping, embedder: Embedder | None, cache: EmbeddingCache
    ) -> None:
        if mapping.embedding is not None and embedder is None:
            raise ValueError("this mapping embeds text: an embedder is required")
        if (
            embedder is not None
            and mapping.embedding is not None
            and embedder.dimension != mapping.embedding.dimension
        ):
            raise ConfigError(
                f"the model gives {embedder.dimension}-dimension vectors but {mapping.path} expects {mapping.embedding.dimension}"
            )
        self.mapping = mapping
        self.mapper = Mapper(mapping)
        self.embedder = embedder
        self.cache = cache

    def prepare(self, batch: ChangeBatch) -> PreparedBatch:
        latest: dict[str, MappedDoc] = {}  # the newest change of each document that maps
        dead: list[DeadLetter] = []
        for change in batch.changes:
            if change.error is not None:
                dead.append(
                    DeadLetter(
                        change.doc_id,
                        change.version,
                        change.op,
                        "decode",
                        "decode_error",
                        change.error,
                        raw=change.raw,
                    )
                )
                continue
            try:
                latest[change.doc_id] = self.mapper.map(change)
            except MappingError as exc:
                dead.append(
                    DeadLetter(
                        change.doc_id,
                        change.version,
                        change.op,
                        "map",
                        "mapping_error",
                        str(exc),
                        document=json_safe(change.document),
                    )
                )
        docs = list(latest.values())
        prepared = PreparedBatch(
            docs, {}, {}, dead, batch.position, batch.phase, batch.caught_up, len(batch.changes)
        )
        if batch.changes:
            prepared.last_version = max(c.version for c in batch.changes)
            prepared.last_source_time = max(c.source_time for c in batch.changes)
        started = time.perf_counter()
        self._vectors(prepared)
        prepared.embed_seconds = time.perf_counter() - started
        return prepared

    def _vectors(self, prepared: PreparedBatch) -> None:
        if self.embedder is None:
            return
        texts: dict[str, str] = {}
        for doc in prepared.docs:
            if doc.text is not None:
                h = self.embedder.text_hash(doc.text)
                prepared.hashes[doc.doc_id] = h
                texts[h] = doc.text
        found, stored = self.cache.present(list(texts))
        missing = [h for h in texts if h not in found and h not in stored]
        prepared.cache_hits = len(found) + len(stored)
        prepared.cache = self.cache
        if missing:
            vectors = self.embedder.embed([texts[h] for h in missing])
            fresh = dict(zip(missing, vectors, strict=True))
            self.cache.store(fresh)
            found.update(fresh)
            prepared.embedded = len(missing)
        prepared.vectors = found
