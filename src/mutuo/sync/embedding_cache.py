"""Content-hash -> vector cache, persisted beside the checkpoint.

Unchanged text is never embedded twice: not within a run (memory), not after a restart
or a crash (SQLite in the state directory). Entries are content-addressed, so writing
one before its batch is acknowledged is harmless; :meth:`flush` runs just before each
checkpoint so a restart finds every vector its checkpoint covered.

Most changes keep their text, so the common question is only "is this hash cached?":
:meth:`present` answers it from the hash index alone, and a vector is read from disk
(:meth:`lookup`) only by a write that sends it. The table is a rowid table, so its hash
index holds nothing but hashes (an earlier ``WITHOUT ROWID`` table kept each 1.5 kB vector
beside its key, with an overflow page per row, and is moved over on open).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from .state_db import open_state_db

_CHUNK = 500


class EmbeddingCache:
    def __init__(self, path: Path | None, memory_entries: int = 50_000) -> None:
        self._lock = threading.Lock()
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._limit = memory_entries
        self._pending: dict[str, np.ndarray] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = open_state_db(
                path,
                "CREATE TABLE IF NOT EXISTS embeddings (hash TEXT PRIMARY KEY, vector BLOB NOT NULL)",
            )
            _move_old_table(self._db)

    def present(self, hashes: list[str]) -> tuple[dict[str, np.ndarray], set[str]]:
        """The vectors of these hashes held in memory, and the other hashes that are
        cached on disk (their vectors not read: :meth:`lookup` reads them when needed)."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            missing = self._from_memory(hashes, found)
            stored: set[str] = set()
            if self._db is not None:
                for chunk in _chunks(missing):
                    rows = self._db.execute(
                        f"SELECT hash FROM embeddings WHERE hash IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
                    stored.update(h for (h,) in rows)
            self._trim()
        return found, stored

    def lookup(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """The vectors of these hashes that are cached (memory first, then disk)."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            missing = self._from_memory(hashes, found)
            if self._db is not None:
                for chunk in _chunks(missing):
                    rows = self._db.execute(
                        f"SELECT hash, vector FROM embeddings WHERE hash IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
                    for h, blob in rows:
                        found[h] = self._remember(h, np.frombuffer(blob, dtype=np.float32))
            self._trim()
        return found

    def _from_memory(self, hashes: list[str], found: dict[str, np.ndarray]) -> list[str]:
        """Put the vectors held in memory into ``found``; the hashes left to look for."""
        missing = []
        for h in hashes:
            vector = self._memory.get(h)
            if vector is None:
                vector = self._pending.get(h)
            if vector is not None:
                self._remember(h, vector)
                found[h] = vector
            else:
                missing.append(h)
        return missing

    def store(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for h, vector in vectors.items():
                self._remember(h, vector)
                if self._db is not None:
                    self._pending[h] = vector
            self._trim()

    def flush(self) -> None:
        with self._lock:
            if self._db is None or not self._pending:
                return
            rows = [
                (h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in self._pending.items()
            ]
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)", rows)
            self._db.execute("COMMIT")
            self._pending.clear()

    def __len__(self) -> int:
        with self._lock:
            if self._db is None:
                return len(self._memory)
            return int(self._db.execute("SELECT count(*) FROM embeddings").fetchone()[0]) + len(
                self._pending
            )

    def close(self) -> None:
        self.flush()
        if self._db is not None:
            self._db.close()

    def _remember(self, h: str, vector: np.ndarray) -> np.ndarray:
        self._memory[h] = vector
        self._memory.move_to_end(h)
        return vector

    def _trim(self) -> None:
        while len(self._memory) > self._limit:
            self._memory.popitem(last=False)


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _move_old_table(db: sqlite3.Connection) -> None:
    """Copy a cache written before the ``embeddings`` table (a ``vectors`` table) into it."""
    old = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'vectors'"
    if db.execute(old).fetchone() is None:
        return
    db.execute("BEGIN")
    db.execute("INSERT OR IGNORE INTO embeddings SELECT hash, vector FROM vectors")
    db.execute("DROP TABLE vectors")
    db.execute("COMMIT")
