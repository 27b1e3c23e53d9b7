"""SQLite files of the sync worker's state directory (known documents, embedding cache)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_state_db(path: Path, schema: str) -> sqlite3.Connection:
    """``path`` opened for the worker's threads, with ``schema`` created if absent.

    Autocommit (callers group writes in their own ``BEGIN``/``COMMIT``), WAL so readers
    never wait for the flush, and ``synchronous=NORMAL``: a killed process loses nothing
    committed, and what power loss could take (the last flushes) is only what the worker
    can read or compute again.
    """
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(schema)
    return db
