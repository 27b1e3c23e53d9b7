"""Trimmed merge updates against the embedded engine: only changed fields go over the
wire, and whatever happens in between (restarts, replays, other writers, deletes, dead
letters) the index ends equal to the source."""

from __future__ import annotations

import itertools
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from opensearchpy import OpenSearch

from mutuo.sync.changes import Change
from mutuo.sync.config import SyncMapping
from mutuo.sync.known import KnownDocs
from mutuo.sync.mapping import Mapper
from mutuo.sync.prepare import PreparedBatch
from mutuo.sync.retry import Backoff
from mutuo.sync.sink import Sink

AT = time.time()
BOOKKEEPING = {"source_version", "synced_at"}


def profile(**fields: Any) -> dict[str, Any]:
    return {
        "status": "active",
        "headline": "Poetry and cats",
        "bio": "Weekends usually mean poetry and cats.",
        "gender": "woman",
        "age_min": 28,
        "age_max": 40,
        "interests": ["poetry", "cats"],
        "location": {"lat": 37.77, "lon": -122.42},
        "last_active_at": "2026-11-30T12:00:00Z",
        **fields,
    }


def change(doc_id: str, version: int, **fields: Any) -> Change:
    return Change("update", doc_id, version, profile(**fields), AT)


def gone(doc_id: str, version: int) -> Change:
    return Change("delete", doc_id, version, None, AT)


def batch(mapping: SyncMapping, *changes: Change) -> PreparedBatch:
    """Mapped as the worker maps them, without texts to embed (these tests are about the
    owned fields; the vector has its own rule)."""
    docs = [Mapper(mapping).map(c) for c in changes]
    return PreparedBatch(docs, {}, {}, [], {}, "stream", True, len(changes))


@pytest.fixture
def sent(applied: OpenSearch) -> list[dict[str, Any]]:
    """The body of every partial update the sink sends, in order."""
    seen: list[dict[str, Any]] = []
    real_bulk = applied.bulk

    def recording_bulk(*args: Any, **kwargs: Any) -> Any:
        lines = [orjson.loads(line) for line in kwargs["body"].splitlines()]
        for action, body in itertools.pairwise(lines):
            if "update" in action:
                seen.append(body["doc"])
        return real_bulk(*args, **kwargs)

    applied.bulk = recording_bulk  # type: ignore[method-assign]
    return seen


def sink(client: OpenSearch, mapping: SyncMapping, known: KnownDocs | None = None) -> Sink:
    return Sink(client, mapping, "test://", backoff=Backoff(0.01, 0.05), known=known)


def assert_indexed(client: OpenSearch, mapping: SyncMapping, doc_id: str, last: Change) -> None:
    """The document holds every owned field of the newest change, at its version."""
    expected = Mapper(mapping).map(last)
    doc = client.get(index="profiles", id=doc_id)["_source"]
    assert doc["source_version"] == last.version
    assert {k: doc.get(k) for k in expected.fields} == expected.fields


def test_an_update_sends_only_the_fields_that_changed_since_the_last_write(
    applied: OpenSearch, profiles_mapping: SyncMapping, sent: list[dict[str, Any]]
) -> None:
    writer = sink(applied, profiles_mapping)
    writer.write(batch(profiles_mapping, change("a", 1)))
    writer.write(batch(profiles_mapping, change("a", 2, last_active_at="2026-12-01T08:00:00Z")))
    writer.write(
        batch(profiles_mapping, change("a", 3, last_active_at="2026-12-01T08:00:00Z", bio="x"))
    )
    assert [set(body) - BOOKKEEPING for body in sent] == [{"last_active_at"}, {"bio"}]
    assert_indexed(
        applied,
        profiles_mapping,
        "a",
        change("a", 3, last_active_at="2026-12-01T08:00:00Z", bio="x"),
    )


def test_a_cleared_field_is_sent_as_null_and_cleared(
    applied: OpenSearch, profiles_mapping: SyncMapping, sent: list[dict[str, Any]]
) -> None:
    writer = sink(applied, profiles_mapping)
    writer.write(batch(profiles_mapping, change("a", 1, job="nurse")))
    writer.write(batch(profiles_mapping, change("a", 2)))
    assert [body["job"] for body in sent] == [None]
    assert_indexed(applied, profiles_mapping, "a", change("a", 2))


def test_after_another_writer_changed_the_document_every_field_is_sent(
    applied: OpenSearch, profiles_mapping: SyncMapping, sent: list[dict[str, Any]]
) -> None:
    """The conditional write fails (409), the document is read again, and without a
    fingerprint of what is indexed now, the whole profile goes: a field someone else
    overwrote comes back to the source's value."""
    writer = sink(applied, profiles_mapping)
    writer.write(batch(profiles_mapping, change("a", 1)))
    applied.update(index="profiles", id="a", body={"doc": {"bio": "edited by hand"}})
    out = writer.write(
        batch(profiles_mapping, change("a", 2, last_active_at="2026-12-01T08:00:00Z"))
    )
    assert out.conflicts == 1
    assert set(sent[-1]) >= set(Mapper(profiles_mapping).map(change("a", 2)).fields)
    assert_indexed(
        applied, profiles_mapping, "a", change("a", 2, last_active_at="2026-12-01T08:00:00Z")
    )


def test_a_replay_after_a_crash_converges(
    applied: OpenSearch, profiles_mapping: SyncMapping, tmp_path: Path, sent: list[dict[str, Any]]
) -> None:
    """Killed after a write was acknowledged but before its entry was flushed: the
    restarted sink holds an older fingerprint, whose ``_seq_no`` no longer matches."""
    first = KnownDocs(path=tmp_path / "known.sqlite")
    sink(applied, profiles_mapping, first).write(batch(profiles_mapping, change("a", 1)))
    first.flush()  # the checkpoint of the first batch
    sink(applied, profiles_mapping, first).write(
        batch(profiles_mapping, change("a", 2, bio="second"))
    )
    restarted = KnownDocs(path=tmp_path / "known.sqlite")  # the second flush never happened
    again = sink(applied, profiles_mapping, restarted)
    replay = again.write(batch(profiles_mapping, change("a", 2, bio="second")))
    later = again.write(batch(profiles_mapping, change("a", 3, bio="second", job="pilot")))
    assert (replay.stale, later.indexed) == (1, 1)
    assert_indexed(applied, profiles_mapping, "a", change("a", 3, bio="second", job="pilot"))


def test_a_restarted_sink_trims_with_the_fingerprints_it_flushed(
    applied: OpenSearch, profiles_mapping: SyncMapping, tmp_path: Path, sent: list[dict[str, Any]]
) -> None:
    first = KnownDocs(path=tmp_path / "known.sqlite")
    sink(applied, profiles_mapping, first).write(batch(profiles_mapping, change("a", 1)))
    first.close()
    restarted = KnownDocs(path=tmp_path / "known.sqlite")
    sink(applied, profiles_mapping, restarted).write(
        batch(profiles_mapping, change("a", 2, age_max=45))
    )
    assert [set(body) - BOOKKEEPING for body in sent] == [
        {"age_max", "age_pref_mid", "age_pref_radius"}
    ]
    assert_indexed(applied, profiles_mapping, "a", change("a", 2, age_max=45))


def test_a_state_from_before_fingerprints_sends_whole_then_trims(
    applied: OpenSearch, profiles_mapping: SyncMapping, tmp_path: Path, sent: list[dict[str, Any]]
) -> None:
    path = tmp_path / "known.sqlite"
    first = KnownDocs(path=path)
    sink(applied, profiles_mapping, first).write(batch(profiles_mapping, change("a", 1)))
    first.close()
    old = sqlite3.connect(path)  # as the state of an older worker: no fingerprint column
    old.execute("ALTER TABLE known DROP COLUMN written")
    old.close()
    upgraded = KnownDocs(path=path)
    writer = sink(applied, profiles_mapping, upgraded)
    writer.write(batch(profiles_mapping, change("a", 2, city="Oslo")))
    writer.write(batch(profiles_mapping, change("a", 3, city="Bergen")))
    owned = set(Mapper(profiles_mapping).map(change("a", 2)).fields)
    assert set(sent[0]) >= owned and set(sent[1]) - BOOKKEEPING == {"city"}
    assert_indexed(applied, profiles_mapping, "a", change("a", 3, city="Bergen"))


def test_a_recreated_member_is_written_whole_then_trimmed(
    applied: OpenSearch, profiles_mapping: SyncMapping, sent: list[dict[str, Any]]
) -> None:
    writer = sink(applied, profiles_mapping)
    writer.write(batch(profiles_mapping, change("a", 1, job="nurse")))
    writer.write(batch(profiles_mapping, gone("a", 2)))
    writer.write(batch(profiles_mapping, change("a", 3)))  # a create: the whole profile
    writer.write(batch(profiles_mapping, change("a", 4, smokes="no")))
    assert [set(body) - BOOKKEEPING for body in sent] == [{"smokes"}]
    assert_indexed(applied, profiles_mapping, "a", change("a", 4, smokes="no"))


def test_after_a_dead_lettered_change_the_next_one_is_sent_whole(
    applied: OpenSearch, profiles_mapping: SyncMapping, sent: list[dict[str, Any]]
) -> None:
    writer = sink(applied, profiles_mapping)
    writer.write(batch(profiles_mapping, change("a", 1)))
    refused = writer.write(
        batch(profiles_mapping, change("a", 2, age_min="twenty", age_max=None, city="Oslo"))
    )
    writer.write(batch(profiles_mapping, change("a", 3, city="Oslo")))
    assert refused.dead_letters == 1
    assert set(sent[-1]) >= set(Mapper(profiles_mapping).map(change("a", 3)).fields)
    assert_indexed(applied, profiles_mapping, "a", change("a", 3, city="Oslo"))


VALUES: dict[str, list[Any]] = {
    "bio": ["likes hiking", "likes jazz", None],
    "city": ["Oslo", "Lima", None],
    "age_max": [35, 40, 45],
    "interests": [["poetry"], ["poetry", "cats"], []],
    "last_active_at": [f"2026-12-0{d}T08:00:00Z" for d in range(1, 8)],
    "status": ["active", "active", "hidden"],
}


def test_random_changes_restarts_replays_and_other_writers_converge(
    applied: OpenSearch, profiles_mapping: SyncMapping, tmp_path: Path
) -> None:
    """A seeded walk of everything that can come between two writes; after each step
    every member equals the newest change the sink was given."""
    rng = random.Random(7)
    known = KnownDocs(path=tmp_path / "known.sqlite")
    writer = sink(applied, profiles_mapping, known)
    history: dict[str, list[Change]] = {}
    version = 0
    for _step in range(120):
        doc_id = rng.choice("abcd")
        changes = history.setdefault(doc_id, [])
        last = changes[-1] if changes else None
        roll = rng.random()
        if roll < 0.1:  # a crash: unflushed entries are lost, the sink restarts
            known = KnownDocs(path=tmp_path / "known.sqlite")
            writer = sink(applied, profiles_mapping, known)
        elif roll < 0.2:
            known.flush()  # a checkpoint
        elif roll < 0.3 and changes:  # a restart from an older checkpoint replays in order
            for replayed in changes[rng.randrange(len(changes)) :]:
                writer.write(batch(profiles_mapping, replayed))
        elif roll < 0.4 and last is not None and last.document is not None:
            hand = {"bio": "edited by hand", "likes_received_7d": 2.0}
            applied.update(index="profiles", id=doc_id, body={"doc": hand})
            version += 1  # the next change of the member keeps the source's bio
            changes.append(Change("update", doc_id, version, last.document, AT))
            writer.write(batch(profiles_mapping, changes[-1]))
        elif roll < 0.45:
            version += 1
            changes.append(gone(doc_id, version))
            writer.write(batch(profiles_mapping, changes[-1]))
        else:
            version += 1
            fields = dict(last.document) if last is not None and last.document else profile()
            for name in rng.sample(sorted(VALUES), rng.randint(1, 2)):
                fields[name] = rng.choice(VALUES[name])
            changes.append(Change("update", doc_id, version, fields, AT))
            writer.write(batch(profiles_mapping, changes[-1]))
        for member, done in history.items():
            if not done:
                continue
            if done[-1].is_delete:
                assert not applied.exists(index="profiles", id=member)
            else:
                assert_indexed(applied, profiles_mapping, member, done[-1])
