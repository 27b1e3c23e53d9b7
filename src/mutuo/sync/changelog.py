"""The JSON-lines change log: the local source of the sync (``file://changes.jsonl``).

One change per line, appended by whoever owns the data (``mutuo demo``, an app, a test):

    {"op": "insert", "ns": "members", "id": "m000001", "version": 7575413449064333312,
     "ts": "2026-11-22T10:00:00.123Z", "doc": {"status": "active", ...}}

* ``op``: ``insert`` | ``update`` | ``replace`` | ``delete``;
* ``ns``: the collection (optional; records of other collections are skipped);
* ``id``: the document id (string or number; becomes the index ``_id``);
* ``version``: a positive integer that grows with every record of the log, like a MongoDB
  cluster time: :class:`ChangeLogWriter` writes ``(unix seconds << 32) | counter``;
* ``ts``: when the change happened (ISO 8601; optional, else taken from the version);
* ``doc``: the full document after the change (insert, update, replace), as a MongoDB
  change stream with ``fullDocument: updateLookup`` gives it. Absent for ``delete``.

A reader resumes from a byte offset; a line is consumed only once its newline is
written, so a reader never sees half a record.
"""

from __future__ import annotations

import fcntl
import functools
import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .changes import OPS, timestamp_version, version_time


def last_version(path: Path) -> int:
    """The version of the last complete record of a log (0 when empty or absent)."""
    if not path.exists():
        return 0
    with path.open("rb") as f:
        end = f.seek(0, os.SEEK_END)
        window = 65536
        while True:
            start = max(0, end - window)
            f.seek(start)
            lines = f.read(end - start).split(b"\n")
            complete = lines[:-1]  # the last element is a partial line or b""
            if start > 0:
                complete = complete[1:]  # the first may be cut by the window
            for line in reversed(complete):
                version = _version_of(line)
                if version is not None:
                    return version
            if start == 0:
                return 0
            window *= 4


def _version_of(line: bytes) -> int | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    version = record.get("version") if isinstance(record, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


class ChangeLogWriter:
    """Appends records with growing versions; safe across processes (``flock``)."""

    def __init__(self, path: str | Path, ns: str = "members", fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.ns = ns
        self.fsync = fsync
        self._file = self.path.open("ab")

    def append(self, op: str, doc_id: str, doc: dict[str, Any] | None = None) -> int:
        """Append one change; its version."""
        return self.append_many([(op, doc_id, doc)])[-1]

    def append_many(self, changes: Iterable[tuple[str, str, dict[str, Any] | None]]) -> list[int]:
        items = list(changes)
        for op, _doc_id, doc in items:
            if op not in OPS:
                raise ValueError(f"unknown op {op!r}; expected one of {OPS}")
            if (op == "delete") != (doc is None):
                raise ValueError("a delete carries no document; other ops carry one")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        try:
            version = last_version(self.path)
            now = time.time()
            versions, lines = [], []
            for op, doc_id, doc in items:
                version = max(version + 1, timestamp_version(int(now), 0))
                record: dict[str, Any] = {"op": op, "ns": self.ns, "id": doc_id, "version": version}
                record["ts"] = (
                    datetime.fromtimestamp(now, tz=UTC)
                    .isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z")
                )
                if doc is not None:
                    record["doc"] = doc
                lines.append(orjson.dumps(record) + b"\n")
                versions.append(version)
            self._file.write(b"".join(lines))
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())
        finally:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        return versions

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ChangeLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def record_time(record: dict[str, Any], version: int) -> float:
    """Unix seconds of a record: its ``ts`` when readable, else from its version."""
    ts = record.get("ts")
    seconds = _iso_seconds(ts) if isinstance(ts, str) else None
    if seconds is not None:
        return seconds
    return version_time(version) if version > 1 << 32 else time.time()


@functools.lru_cache(maxsize=4096)
def _iso_seconds(ts: str) -> float | None:
    """Remembered: the records of one append (or one millisecond) share their ``ts``."""
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
