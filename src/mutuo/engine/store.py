"""Durable storage: SQLite in WAL mode is the source of truth.

Documents, their versions and sequence numbers, index metadata and cluster-level objects
(templates, stored scripts, search pipelines) live here; every in-memory structure of the
engine is derived from these tables and can be rebuilt by reopening. A write is
acknowledged only after its transaction commits, so it survives ``kill -9`` of the
process (WAL + ``synchronous=NORMAL`` is durable against process crashes; an OS crash may
lose the last transactions, like OpenSearch's async translog durability).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import codec
from .stored_source import StoredSource

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS indices (
    name TEXT PRIMARY KEY,
    uuid TEXT NOT NULL,
    metadata BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (
    idx TEXT NOT NULL,
    id TEXT NOT NULL,
    seq_no INTEGER NOT NULL,
    primary_term INTEGER NOT NULL,
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    deleted_at REAL,
    source BLOB,
    routing TEXT,
    PRIMARY KEY (idx, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_by_seq ON docs (idx, seq_no);
CREATE TABLE IF NOT EXISTS vectors (
    idx TEXT NOT NULL,
    id TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (idx, id)
) WITHOUT ROWID;
"""
# A docs row whose ``layout`` is set had the members it names cut from ``source``; their
# values are the ``vectors`` row of the same document (see stored_source.py).
_SOURCE = "d.source, d.layout, v.data"
_JOIN = "docs d LEFT JOIN vectors v ON v.idx = d.idx AND v.id = d.id"


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a bulk item ~1 us
class DocRow:
    id: str
    seq_no: int
    primary_term: int
    version: int
    deleted: bool
    deleted_at: float | None
    source: bytes | None  # the whole source when read; a write's ``rest`` (stored_source)
    routing: str | None = None
    layout: bytes | None = None  # a write's cut members (StoredSource.layout)
    vectors: bytes | None = None  # their values; None with a layout: the store's are kept


class Store:
    """Thread-safe access to one engine's SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=OFF")
        self._db.execute("PRAGMA cache_size=-65536")
        # Stored sources are read through memory mapping: a page of 20 search hits (rows of
        # ~18 KB with their vectors) cost ~2 ms of read() calls without it, half with it.
        self._db.execute("PRAGMA mmap_size=1073741824")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(docs)")}
        if "routing" not in columns:  # a data path written before routing was stored
            self._db.execute("ALTER TABLE docs ADD COLUMN routing TEXT")
        if "layout" not in columns:  # written before vectors were stored apart
            self._db.execute("ALTER TABLE docs ADD COLUMN layout BLOB")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One atomic write; committed (and so acknowledged) when the block exits."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- reads -----------------------------------------------------------------------

    def meta_items(self, kind: str) -> list[tuple[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, value FROM meta WHERE kind = ? ORDER BY name", (kind,)
            ).fetchall()
        return [(name, codec.loads(value)) for name, value in rows]

    def indices(self) -> list[tuple[str, str, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT name, uuid, metadata FROM indices").fetchall()
        return [(name, uuid, codec.loads(meta)) for name, uuid, meta in rows]

    def docs(self, uuid: str, with_source: bool = True) -> Iterator[DocRow]:
        """Every document row of an index (tombstones included), in sequence-number order,
        each with its whole source.

        Rows are streamed in chunks (an index's sources need not fit in memory twice);
        ``with_source=False`` reads only the version metadata.
        """
        source = _SOURCE if with_source else "NULL, NULL, NULL"
        table = _JOIN if with_source else "docs d"
        with self._lock:
            cursor = self._db.execute(
                "SELECT d.id, d.seq_no, d.primary_term, d.version, d.deleted, d.deleted_at, "
                f"{source}, d.routing FROM {table} WHERE d.idx = ? ORDER BY d.seq_no",
                (uuid,),
            )
            while rows := cursor.fetchmany(2000):
                for row in rows:
                    whole = _whole(row[6], row[7], row[8])
                    yield DocRow(
                        row[0], row[1], row[2], row[3], bool(row[4]), row[5], whole, row[9]
                    )

    def source(self, uuid: str, doc_id: str) -> bytes | None:
        """The whole ``_source`` of a live document."""
        stored = self.stored(uuid, [doc_id], with_vectors=True).get(doc_id)
        return None if stored is None else stored.whole()

    def sources(self, uuid: str, doc_ids: Sequence[str]) -> dict[str, bytes]:
        """Whole sources of several live documents in one query."""
        return {
            doc_id: stored.whole()
            for doc_id, stored in self.stored(uuid, doc_ids, with_vectors=True).items()
        }

    def stored(
        self, uuid: str, doc_ids: Sequence[str], with_vectors: bool
    ) -> dict[str, StoredSource]:
        """Stored sources of live documents as kept (the fetch phase of a search, the
        partial updates of a bulk); ``with_vectors=False`` leaves cut vectors unread."""
        if not doc_ids:
            return {}
        out: dict[str, StoredSource] = {}
        columns = _SOURCE if with_vectors else "d.source, d.layout, NULL"
        table = _JOIN if with_vectors else "docs d"
        with self._lock:
            for start in range(0, len(doc_ids), 500):
                chunk = list(doc_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT d.id, {columns} FROM {table} "
                    f"WHERE d.idx = ? AND d.deleted = 0 AND d.id IN ({marks})",
                    (uuid, *chunk),
                ).fetchall()
                for doc_id, source, layout, data in rows:
                    if source is not None:
                        out[doc_id] = StoredSource(source, layout, data)
        return out

    def vectors(self, uuid: str, doc_id: str) -> bytes | None:
        """The stored values of a document's cut vector members."""
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM vectors WHERE idx = ? AND id = ?", (uuid, doc_id)
            ).fetchone()
        return None if row is None else row[0]


def _whole(source: bytes | None, layout: bytes | None, data: bytes | None) -> bytes | None:
    if source is None or layout is None:
        return source
    return StoredSource(source, layout, data or b"").whole()


class Transaction:
    """Statements of one write transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def put_meta(self, kind: str, name: str, value: Any) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (kind, name, value) VALUES (?, ?, ?)",
            (kind, name, codec.dumps(value)),
        )

    def delete_meta(self, kind: str, name: str) -> None:
        self._db.execute("DELETE FROM meta WHERE kind = ? AND name = ?", (kind, name))

    def put_index(self, name: str, uuid: str, metadata: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO indices (name, uuid, metadata) VALUES (?, ?, ?)",
            (name, uuid, codec.dumps(metadata)),
        )

    def delete_index(self, name: str, uuid: str) -> None:
        self._db.execute("DELETE FROM indices WHERE name = ?", (name,))
        self._db.execute("DELETE FROM docs WHERE idx = ?", (uuid,))
        self._db.execute("DELETE FROM vectors WHERE idx = ?", (uuid,))

    def put_docs(self, uuid: str, rows: Sequence[DocRow]) -> None:
        """Write rows in order. A row with a layout and no vectors keeps the vectors row
        as stored (a partial update that left them alone); any other row replaces it."""
        self._db.executemany(
            "INSERT OR REPLACE INTO docs (idx, id, seq_no, primary_term, version, deleted, "
            "deleted_at, source, routing, layout) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    uuid,
                    r.id,
                    r.seq_no,
                    r.primary_term,
                    r.version,
                    int(r.deleted),
                    r.deleted_at,
                    r.source,
                    r.routing,
                    r.layout,
                )
                for r in rows
            ],
        )
        last: dict[str, bytes | None] = {}  # id -> its new vector bytes (None: none)
        for r in rows:
            if r.layout is None or r.vectors is not None:
                last[r.id] = r.vectors if r.layout is not None else None
        self._db.executemany(
            "DELETE FROM vectors WHERE idx = ? AND id = ?",
            [(uuid, doc_id) for doc_id, data in last.items() if data is None],
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors (idx, id, data) VALUES (?, ?, ?)",
            [(uuid, doc_id, data) for doc_id, data in last.items() if data is not None],
        )

    def purge_tombstones(self, uuid: str, ids: Sequence[str]) -> None:
        self._db.executemany(
            "DELETE FROM docs WHERE idx = ? AND id = ? AND deleted = 1",
            [(uuid, i) for i in ids],
        )
