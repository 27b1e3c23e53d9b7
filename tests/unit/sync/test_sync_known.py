"""The sink's record of its own writes, kept beside the checkpoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mutuo.sync.known import Current, KnownDocs


def test_flushed_entries_survive_a_restart(tmp_path: Path) -> None:
    known = KnownDocs(path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h"))
    known.put("b", Current(True, 8, 1, 3, None))
    known.forget("b")
    known.flush()
    known.close()
    again = KnownDocs(path=tmp_path / "known.sqlite")
    again.scope("uuid-1")
    assert again.get_many(["a", "b"]) == {"a": Current(True, 7, 1, 3, "h")}


def test_entries_of_another_index_are_never_used(tmp_path: Path) -> None:
    known = KnownDocs(path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h"))
    known.flush()
    known.scope("uuid-2")  # the alias moved to a new index
    assert known.get("a") is None
    known.close()


def test_unflushed_entries_are_not_on_disk(tmp_path: Path) -> None:
    known = KnownDocs(path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h"))
    assert known.get("a") == Current(True, 7, 1, 3, "h")
    other = KnownDocs(path=tmp_path / "known.sqlite")
    other.scope("uuid-1")
    assert other.get("a") is None


def test_a_forgotten_entry_is_not_read_back_from_disk(tmp_path: Path) -> None:
    """After a 409 the sink forgets the entry and reads the document: the flushed row
    (now wrong) must not come back before the next flush deletes it."""
    known = KnownDocs(path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h"))
    known.flush()
    known.forget("a")
    assert known.get("a") is None
    known.flush()
    assert known.get("a") is None
    known.close()


def test_an_unflushed_entry_outlives_its_eviction_from_memory(tmp_path: Path) -> None:
    known = KnownDocs(limit=1, path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h"))
    known.flush()
    known.put("a", Current(True, 9, 1, 4, "h"))
    known.put("b", Current(True, 8, 1, 1, None))  # evicts "a" from memory
    assert known.get("a") == Current(True, 9, 1, 4, "h")
    known.close()


def test_a_restart_reads_every_entry_at_once_when_they_fit(tmp_path: Path) -> None:
    known = KnownDocs(path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h"))
    known.put("b", Current(False))
    known.close()
    again = KnownDocs(path=tmp_path / "known.sqlite")
    again.scope("uuid-1")
    other = sqlite3.connect(tmp_path / "known.sqlite")  # the rows go; memory has them
    other.execute("DELETE FROM known")
    other.commit()
    assert again.get_many(["a", "b", "c"]) == {
        "a": Current(True, 7, 1, 3, "h"),
        "b": Current(False),
    }
    assert type(again.get("a").exists) is bool  # type: ignore[union-attr]


def test_entries_beyond_the_limit_are_looked_up_on_disk(tmp_path: Path) -> None:
    known = KnownDocs(path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h"))
    known.put("b", Current(True, 8, 1, 4, None))
    known.close()
    small = KnownDocs(limit=1, path=tmp_path / "known.sqlite")
    small.scope("uuid-1")  # two on disk, room for one: read as asked
    assert small.get_many(["a", "b"]) == {
        "a": Current(True, 7, 1, 3, "h"),
        "b": Current(True, 8, 1, 4, None),
    }
