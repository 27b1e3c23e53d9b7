"""Content-hash -> vector cache, persisted beside the checkpoint.

Unchanged text is never embedded twice: not within a run (memory), not after a restart
or a crash (SQLite in the state directory). Entries are content-addressed, so writing
one before its batch is acknowledged is harmless; :meth:`flush` runs just before each
checkpoint so a restart finds every vector its checkpoint covered.
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
                "CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL) "
                "WITHOUT ROWID",
            )

    def lookup(self, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        missing = []
        with self._lock:
            for h in hashes:
                vector = self._memory.get(h)
                if vector is None:
                    vector = self._pending.get(h)
                if vector is not None:
                    self._memory[h] = vector
                    self._memory.move_to_end(h)
                    found[h] = vector
                else:
                    missing.append(h)
            if self._db is not None:
                for i in range(0, len(missing), _CHUNK):
                    chunk = missing[i : i + _CHUNK]
                    rows = self._db.execute(
                        f"SELECT hash, vector FROM vectors WHERE hash IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
                    for h, blob in rows:
                        found[h] = self._remember(h, np.frombuffer(blob, dtype=np.float32))
            self._trim()
        return found

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
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            self._db.execute("COMMIT")
            self._pending.clear()

    def __len__(self) -> int:
        with self._lock:
            if self._db is None:
                return len(self._memory)
            return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0]) + len(
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
