"""What the sink last learnt about each document it wrote (merge mode).

A merge write needs the document's ``_seq_no`` and ``source_version`` before writing.
The bulk response of the sink's own write tells both, so a document changed again soon
(the common case: activity timestamps, status flips) needs no read first. The entry is
only a guess: the write is still conditional on ``_seq_no``, and if another writer got in
between (409) the entry is dropped and the document read again. A decision *not* to
write (a stale change, a delete of an absent document) is never taken on a guess: the
sink reads those documents first.

An entry also holds the fingerprint of the owned fields that write left in the document
(:mod:`.trimmed`), so the next update sends only the fields that changed since.

With a path, entries also live in SQLite beside the checkpoint (:meth:`flush` runs just
before each checkpoint), so a restarted worker still knows the documents it wrote
instead of reading each one again. When they fit the memory limit they are read in one
scan as soon as the index is known (a third cheaper than looking them up a batch at a
time, and a document never written is then known absent without asking SQLite).
Entries are kept per concrete index (its uuid): after an alias moves to another index,
the old entries are never used. A state file from before fingerprints gains their column
on open; its entries have none (their next update is sent whole).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from .state_db import open_state_db

_CHUNK = 500
_SELECT = "SELECT id, exists_, seq_no, primary_term, version, text_hash, written FROM known"
_INSERT = (
    "INSERT OR REPLACE INTO known (scope, id, exists_, seq_no, primary_term, version, text_hash, "
    "written) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class Current(NamedTuple):
    """A document as the index holds it (``exists=False``: known to be absent). A named
    tuple: one is built per document written and per entry read back, and a frozen
    dataclass takes 3x longer to build."""

    exists: bool
    seq_no: int = 0
    primary_term: int = 0
    version: int | None = None  # the source version the document was written from
    text_hash: str | None = None
    written: bytes | None = None  # the owned fields' fingerprint (:mod:`.trimmed`), if known


class KnownDocs:
    def __init__(self, limit: int = 200_000, path: Path | None = None) -> None:
        self._docs: OrderedDict[str, Current] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()
        self._pending: dict[str, Current | None] = {}  # None: forgotten
        self._scope = ""  # the uuid of the index the entries describe
        self._complete = False  # memory holds every entry on disk (no need to look there)
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = open_state_db(
                path,
                "CREATE TABLE IF NOT EXISTS known (scope TEXT NOT NULL, id TEXT NOT NULL, "
                "exists_ INTEGER NOT NULL, seq_no INTEGER NOT NULL, primary_term INTEGER NOT "
                "NULL, version INTEGER, text_hash TEXT, written BLOB, PRIMARY KEY (scope, id)) "
                "WITHOUT ROWID",
            )
            _add_written_column(self._db)

    @property
    def persistent(self) -> bool:
        return self._db is not None

    def scope(self, index_uuid: str) -> None:
        """Describe the index with this uuid from now on (entries of another are dropped
        from memory and not read from disk)."""
        with self._lock:
            if index_uuid != self._scope:
                self._docs.clear()
                self._pending.clear()
                self._scope = index_uuid
                self._complete = self._db is not None and self._preload()

    def get(self, doc_id: str) -> Current | None:
        return self.get_many([doc_id]).get(doc_id)

    def get_many(self, doc_ids: Iterable[str]) -> dict[str, Current]:
        """The entries of these documents (memory first, then disk)."""
        found: dict[str, Current] = {}
        missing: list[str] = []
        with self._lock:
            for doc_id in doc_ids:
                current = self._docs.get(doc_id)
                if current is not None:
                    self._docs.move_to_end(doc_id)
                    found[doc_id] = current
                elif doc_id in self._pending:  # changed since the flush: disk is behind
                    pending = self._pending[doc_id]
                    if pending is not None:  # None: forgotten, read the document
                        found[doc_id] = self._remember(doc_id, pending)
                else:
                    missing.append(doc_id)
            if self._db is not None and self._scope and not self._complete:
                for doc_id, current in self._load(missing):
                    found[doc_id] = current
                    self._remember(doc_id, current)
        return found

    def put(self, doc_id: str, current: Current) -> None:
        with self._lock:
            self._remember(doc_id, current)
            if self._db is not None:
                self._pending[doc_id] = current

    def forget(self, doc_id: str) -> None:
        with self._lock:
            self._docs.pop(doc_id, None)
            if self._db is not None:
                self._pending[doc_id] = None

    def flush(self) -> None:
        """Write what changed since the last flush (before a checkpoint)."""
        with self._lock:
            if self._db is None or not self._pending or not self._scope:
                self._pending.clear()
                return
            scope = self._scope
            rows = [
                (
                    scope,
                    i,
                    int(c.exists),
                    c.seq_no,
                    c.primary_term,
                    c.version,
                    c.text_hash,
                    c.written,
                )
                for i, c in self._pending.items()
                if c is not None
            ]
            gone = [(scope, i) for i, c in self._pending.items() if c is None]
            self._db.execute("BEGIN")
            self._db.executemany(_INSERT, rows)
            self._db.executemany("DELETE FROM known WHERE scope = ? AND id = ?", gone)
            self._db.execute("COMMIT")
            self._pending.clear()

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()

    def _preload(self) -> bool:
        """Read every entry of the scope when they fit the limit; whether it did."""
        assert self._db is not None
        query = "SELECT count(*) FROM known WHERE scope = ?"
        ((count,),) = self._db.execute(query, (self._scope,))
        if count > self._limit:
            return False
        self._docs.update(_entries(self._db.execute(f"{_SELECT} WHERE scope = ?", (self._scope,))))
        return True

    def _load(self, doc_ids: list[str]) -> Iterable[tuple[str, Current]]:
        assert self._db is not None
        for start in range(0, len(doc_ids), _CHUNK):
            chunk = doc_ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"{_SELECT} WHERE scope = ? AND id IN ({marks})"
            yield from _entries(self._db.execute(query, (self._scope, *chunk)))

    def _remember(self, doc_id: str, current: Current) -> Current:
        self._docs[doc_id] = current
        self._docs.move_to_end(doc_id)
        if len(self._docs) > self._limit:
            self._docs.popitem(last=False)
            self._complete = False  # what it evicted is only on disk now
        return current


def _entries(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, Current]]:
    """(id, entry) of each row of :data:`_SELECT`."""
    for doc_id, exists, seq_no, term, version, text_hash, written in rows:
        yield doc_id, Current(bool(exists), seq_no, term, version, text_hash, written)


def _add_written_column(db: sqlite3.Connection) -> None:
    """Migrate a state file from before fingerprints: its rows get none (sent whole next)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(known)")}
    if "written" not in columns:
        db.execute("ALTER TABLE known ADD COLUMN written BLOB")
