"""The whole worker on the embedded engine with the real model: a change log in, an index
that equals the source out, restarts that neither lose nor re-embed anything."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from opensearchpy import OpenSearch
from sync_oracle import assert_index_matches, expected_state

from mutuo.demo.population import generate_members
from mutuo.sync.changelog import ChangeLogWriter
from mutuo.sync.config import SyncMapping
from mutuo.sync.embedder import Embedder
from mutuo.sync.sources import FileSource
from mutuo.sync.state import SyncState, read_checkpoint
from mutuo.sync.worker import RunSummary, SyncWorker, WorkerOptions


def write_history(log: Path, n: int = 40) -> None:
    """Inserts, edits, hides, deletes, an unmappable document and a broken line."""
    members = generate_members(n, seed=3)
    with ChangeLogWriter(log) as w:
        w.append_many([("insert", m.id, m.profile) for m in members])
        w.append(
            "update", members[0].id, {**members[0].profile, "bio": "Rewritten bio about sailing."}
        )
        w.append("update", members[1].id, {**members[1].profile, "status": "hidden"})
        w.append("update", members[2].id, {**members[2].profile, "status": "deleted"})
        w.append("delete", members[3].id)
        w.append(
            "update", members[4].id, {**members[4].profile, "location": {"lat": 123, "lon": 0}}
        )
        w.append(
            "update",
            members[5].id,
            {**members[5].profile, "last_active_at": "2026-11-21T00:00:00Z"},
        )
    with log.open("ab") as f:
        f.write(b'{"op": "insert", "id": "m999", "version": \n')


def run(
    client: OpenSearch,
    mapping: SyncMapping,
    log: Path,
    state_dir: Path,
    embedder: Embedder,
    **options: object,
) -> RunSummary:
    source = FileSource(log, mapping.collection)
    state = SyncState(state_dir, source=source.description, mapping=mapping.name)
    try:
        worker = SyncWorker(
            client,
            mapping,
            source,
            state,
            embedder,
            WorkerOptions(**{"batch_size": 16, "once": True, **options}),
        )  # type: ignore[arg-type]
        return worker.run()
    finally:
        state.close()


def test_the_index_equals_the_source_and_bad_changes_are_dead_letters(
    applied: OpenSearch, mapping: SyncMapping, embedder: Embedder, tmp_path: Path
) -> None:
    log = tmp_path / "changes.jsonl"
    write_history(log)
    summary = run(applied, mapping, log, tmp_path / "state", embedder)
    assert summary.totals.changes == 47 and summary.totals.dead_letters == 2
    assert_index_matches(applied, expected_state(log, mapping), mapping, embedder.embed)
    assert read_checkpoint(tmp_path / "state")["position"] == {"offset": log.stat().st_size}


def test_a_restart_resumes_at_the_checkpoint_and_reuses_cached_vectors(
    applied: OpenSearch, profiles_mapping: SyncMapping, embedder: Embedder, tmp_path: Path
) -> None:
    log, state = tmp_path / "changes.jsonl", tmp_path / "state"
    write_history(log)
    first = run(applied, profiles_mapping, log, state, embedder)
    member = generate_members(40, seed=3)[7]
    with ChangeLogWriter(log) as w:  # the same text again, and a change that needs no embedding
        w.append("update", member.id, {**member.profile, "last_active_at": "2026-11-22T08:00:00Z"})
    second = run(applied, profiles_mapping, log, state, embedder)
    assert second.run_changes == 1
    assert second.totals.embedded == first.totals.embedded  # nothing embedded again
    assert_index_matches(applied, expected_state(log, profiles_mapping), profiles_mapping)


def test_backfill_replays_the_log_over_an_existing_index(
    applied: OpenSearch, profiles_mapping: SyncMapping, embedder: Embedder, tmp_path: Path
) -> None:
    log, state = tmp_path / "changes.jsonl", tmp_path / "state"
    write_history(log, n=20)
    run(applied, profiles_mapping, log, state, embedder)
    again = run(applied, profiles_mapping, log, state, embedder, backfill=True)
    assert again.run_changes == 27 and again.totals.embedded == 21  # all from the cache
    assert_index_matches(applied, expected_state(log, profiles_mapping), profiles_mapping)


def test_stop_drains_what_was_read_and_checkpoints_it(
    applied: OpenSearch, profiles_mapping: SyncMapping, embedder: Embedder, tmp_path: Path
) -> None:
    log, state_dir = tmp_path / "changes.jsonl", tmp_path / "state"
    write_history(log, n=30)
    source = FileSource(log, profiles_mapping.collection)
    state = SyncState(state_dir, source=source.description, mapping=profiles_mapping.name)
    caught_up = threading.Event()
    worker = SyncWorker(
        applied,
        profiles_mapping,
        source,
        state,
        embedder,
        WorkerOptions(batch_size=8, poll_s=0.01),
        on_progress=lambda p: p.caught_up and caught_up.set(),
    )
    thread = threading.Thread(target=lambda: worker.run())
    thread.start()
    assert caught_up.wait(120)
    worker.stop()  # following the log, idle: stop must return promptly
    thread.join(30)
    state.close()
    assert not thread.is_alive()
    assert read_checkpoint(state_dir)["position"] == {"offset": log.stat().st_size}
    assert_index_matches(applied, expected_state(log, profiles_mapping), profiles_mapping)


def test_a_second_worker_on_the_same_state_is_refused(tmp_path: Path) -> None:
    first = SyncState(tmp_path, source="file:///x", mapping="profiles")
    try:
        with pytest.raises(Exception, match="another sync worker"):
            SyncState(tmp_path, source="file:///x", mapping="profiles")
    finally:
        first.close()


def test_a_checkpoint_of_another_source_is_refused(tmp_path: Path) -> None:
    state = SyncState(tmp_path, source="file:///a", mapping="profiles")
    state.save({"offset": 3}, "stream", {})
    state.close()
    other = SyncState(tmp_path, source="file:///b", mapping="profiles")
    try:
        with pytest.raises(Exception, match="belongs to source"):
            other.load()
    finally:
        other.close()
