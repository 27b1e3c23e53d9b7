"""``file://PATH``: tail a JSON-lines change log (format in :mod:`..changelog`)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ...errors import SourceError
from ..changelog import record_time
from ..changes import OPS, Change, ChangeBatch, doc_id_of
from .base import ReadOptions


def parse_record(line: bytes, collection: str, offset: int) -> Change | None:
    """One log line as a change; a malformed line becomes a change carrying its error
    (it goes to the dead-letter index); a record of another collection gives None."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return _broken(line, offset, f"invalid JSON: {exc}")
    if not isinstance(record, dict):
        return _broken(line, offset, "a record must be a JSON object")
    if record.get("ns", collection) != collection:
        return None
    op, version, doc_id = record.get("op"), record.get("version"), record.get("id")
    if op not in OPS:
        return _broken(line, offset, f"op must be one of {list(OPS)}, got {op!r}", doc_id)
    if not isinstance(version, int) or isinstance(version, bool) or version <= 0:
        return _broken(line, offset, f"version must be a positive integer, got {version!r}", doc_id)
    if doc_id is None or isinstance(doc_id, dict | list | bool) or doc_id == "":
        return _broken(line, offset, f"id must be a string or a number, got {doc_id!r}")
    doc = record.get("doc")
    if op != "delete" and not isinstance(doc, dict):
        return _broken(line, offset, f"{op} needs a [doc] object", doc_id, version)
    return Change(
        op,
        doc_id_of(doc_id),
        version,
        doc if op != "delete" else None,
        record_time(record, version),
        plain=True,
    )


def _broken(line: bytes, offset: int, error: str, doc_id: Any = None, version: int = 0) -> Change:
    ident = doc_id_of(doc_id) if isinstance(doc_id, str | int) and doc_id != "" else f"@{offset}"
    text = line.decode("utf-8", "replace")  # decoded only for the dead letter
    return Change("replace", ident, version, None, 0.0, raw=text, error=error)


class FileSource:
    def __init__(self, path: str | Path, collection: str) -> None:
        self.path = Path(path)
        self.collection = collection
        self.description = f"file://{self.path.resolve()}"

    def backfill_position(self) -> dict[str, Any]:
        return {"offset": 0}

    def progress(self, position: dict[str, Any] | None) -> tuple[int, int | None]:
        size = self.path.stat().st_size if self.path.exists() else 0
        return int((position or {}).get("offset", 0)), size

    def close(self) -> None:
        pass

    def read(
        self, position: dict[str, Any] | None, stop: threading.Event, options: ReadOptions
    ) -> Iterator[ChangeBatch]:
        offset = int((position or {}).get("offset", 0))
        while not self.path.exists():
            if options.once or stop.wait(options.poll_s):
                return
        with self.path.open("rb") as f:
            self._check(f, offset)
            f.seek(offset)
            buffer = b""
            while not stop.is_set():
                changes, offset, buffer = self._take(f, offset, buffer, options.batch_size)
                caught_up = len(changes) < options.batch_size
                if changes or (caught_up and options.once):
                    yield ChangeBatch(changes, {"offset": offset}, caught_up=caught_up)
                if caught_up and options.once:
                    return
                if caught_up:
                    stop.wait(options.poll_s)

    def _take(
        self, f: Any, offset: int, buffer: bytes, limit: int
    ) -> tuple[list[Change], int, bytes]:
        """Up to ``limit`` complete records after ``offset``; the new offset and the
        bytes of an unfinished last line."""
        changes: list[Change] = []
        at = 0  # read position in ``buffer`` (sliced once per call, not once per line)
        while len(changes) < limit:
            newline = buffer.find(b"\n", at)
            if newline < 0:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                buffer = buffer[at:] + chunk
                at = 0
                continue
            line = buffer[at:newline]
            start, offset = offset, offset + newline + 1 - at
            at = newline + 1
            if line.strip():
                change = parse_record(line, self.collection, start)
                if change is not None:
                    changes.append(change)
        return changes, offset, buffer[at:]

    def _check(self, f: Any, offset: int) -> None:
        size = os.fstat(f.fileno()).st_size
        if offset > size:
            raise SourceError(
                f"{self.path} has {size} bytes but the checkpoint is at byte {offset}: the log was truncated or replaced; run `mutuo sync backfill` to start over"
            )
        if offset > 0:
            f.seek(offset - 1)
            if f.read(1) != b"\n":
                raise SourceError(
                    f"the checkpoint (byte {offset}) is not at a line boundary of {self.path}: the log was rewritten; run `mutuo sync backfill` to start over"
                )
