"""The change log: its writer, and the file source that tails it."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
import pytest

from mutuo.errors import SourceError
from mutuo.sync.changelog import ChangeLogWriter, last_version
from mutuo.sync.changes import ChangeBatch
from mutuo.sync.sources import FileSource, ReadOptions


def read_all(path: Path, position: dict | None = None, batch_size: int = 100) -> list[ChangeBatch]:
    source = FileSource(path, "members")
    return list(
        source.read(position, threading.Event(), ReadOptions(batch_size=batch_size, once=True))
    )


def test_writer_versions_grow_across_writers_of_one_log(tmp_path: Path) -> None:
    path = tmp_path / "changes.jsonl"
    with ChangeLogWriter(path) as a, ChangeLogWriter(path) as b:
        versions = [
            a.append("insert", "1", {"x": 1}),
            b.append("insert", "2", {"x": 2}),
            a.append("delete", "1"),
        ]
    assert versions == sorted(versions) and len(set(versions)) == 3
    assert last_version(path) == versions[-1]


def test_writer_refuses_a_delete_with_a_document(tmp_path: Path) -> None:
    with ChangeLogWriter(tmp_path / "c.jsonl") as w, pytest.raises(ValueError):
        w.append("delete", "1", {"x": 1})


def test_last_version_finds_a_record_longer_than_the_tail_window(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with ChangeLogWriter(path) as w:
        w.append("insert", "1", {"x": 1})
        big = w.append("insert", "2", {"bio": "x" * 200_000})
    assert last_version(path) == big


def test_reading_resumes_exactly_after_the_checkpointed_offset(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with ChangeLogWriter(path) as w:
        w.append_many([("insert", str(i), {"i": i}) for i in range(10)])
    first = read_all(path, batch_size=4)
    assert [len(b.changes) for b in first] == [4, 4, 2]
    resumed = read_all(path, first[0].position)
    assert [c.doc_id for b in resumed for c in b.changes] == [str(i) for i in range(4, 10)]
    assert resumed[-1].caught_up


def test_a_half_written_line_is_not_consumed_until_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    record = orjson.dumps({"op": "insert", "id": "1", "version": 5, "doc": {"a": 1}})
    path.write_bytes(record[:10])
    batches = read_all(path)
    assert batches[-1].changes == [] and batches[-1].position == {"offset": 0}
    path.write_bytes(record + b"\n")
    assert [c.doc_id for c in read_all(path)[0].changes] == ["1"]


def test_malformed_records_become_changes_carrying_their_error(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    lines = [
        b"{not json",
        b"[1, 2]",
        orjson.dumps({"op": "upsert", "id": "a", "version": 1}),
        orjson.dumps({"op": "insert", "id": "b", "version": -3, "doc": {}}),
        orjson.dumps({"op": "insert", "id": "c", "version": 4}),
        orjson.dumps({"op": "insert", "id": {"x": 1}, "version": 5, "doc": {}}),
        orjson.dumps({"op": "insert", "id": "ok", "version": 6, "doc": {"a": 1}}),
        orjson.dumps({"op": "insert", "ns": "other", "id": "skip", "version": 7, "doc": {}}),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    changes = read_all(path)[0].changes
    assert [c.error is not None for c in changes] == [True] * 6 + [False]
    assert changes[0].doc_id == "@0" and changes[0].raw == "{not json"
    assert changes[2].doc_id == "a" and "op must be one of" in (changes[2].error or "")
    assert changes[-1].doc_id == "ok" and changes[-1].document == {"a": 1}


def test_a_truncated_log_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with ChangeLogWriter(path) as w:
        w.append("insert", "1", {"a": 1})
    size = path.stat().st_size
    with pytest.raises(SourceError, match="backfill"):
        read_all(path, {"offset": size + 10})
    with pytest.raises(SourceError, match="line boundary"):
        read_all(path, {"offset": size - 3})


def test_the_source_follows_appends_until_stopped(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    source = FileSource(path, "members")
    stop = threading.Event()
    seen: list[str] = []

    def consume() -> None:
        for batch in source.read(None, stop, ReadOptions(batch_size=10, poll_s=0.01)):
            seen.extend(c.doc_id for c in batch.changes)
            if len(seen) >= 3:
                stop.set()

    reader = threading.Thread(target=consume)
    reader.start()
    with ChangeLogWriter(path) as w:  # the log does not exist when reading starts
        for i in range(3):
            w.append("insert", str(i), {"i": i})
    reader.join(timeout=10)
    assert not reader.is_alive() and seen == ["0", "1", "2"]
