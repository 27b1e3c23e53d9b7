"""The sink against the embedded engine: ordering, merging with other writers, removals,
retries and dead letters, in both write modes."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

from mutuo.sync.changes import Change
from mutuo.sync.config import SyncMapping
from mutuo.sync.known import KnownDocs
from mutuo.sync.mapping import Mapper
from mutuo.sync.prepare import PreparedBatch
from mutuo.sync.retry import Backoff
from mutuo.sync.sink import Sink, SinkError

AT = time.time()


def unit_vector(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=384).astype(np.float32)
    return v / np.linalg.norm(v)


def prepared(mapping: SyncMapping, changes: list[Change]) -> PreparedBatch:
    """Map changes as the worker does; vectors are seeded from the text hash (the model is
    not what these tests check)."""
    mapper = Mapper(mapping)
    docs = [mapper.map(c) for c in changes]
    batch = PreparedBatch(docs, {}, {}, [], {}, "stream", True, len(changes))
    for doc in docs:
        if doc.text is not None:
            h = f"{abs(hash(doc.text)):032d}"[:32]
            batch.hashes[doc.doc_id] = h
            batch.vectors[h] = unit_vector(int(h[:8]))
    return batch


def member(doc_id: str, version: int, **fields: Any) -> Change:
    doc = {
        "status": "active",
        "headline": f"{doc_id} headline",
        "bio": "likes hiking",
        "gender": "woman",
        **fields,
    }
    return Change("update", doc_id, version, doc, AT)


def gone(doc_id: str, version: int) -> Change:
    return Change("delete", doc_id, version, None, AT)


def write(client: OpenSearch, mapping: SyncMapping, *changes: Change) -> Any:
    return Sink(client, mapping, "test://", backoff=Backoff(0.01, 0.05)).write(
        prepared(mapping, list(changes))
    )


def source(client: OpenSearch, doc_id: str) -> dict[str, Any] | None:
    found = client.get(index="profiles", id=doc_id, ignore=404)
    return found["_source"] if found.get("found") else None


def version_of(client: OpenSearch, mapping: SyncMapping, doc_id: str) -> int:
    found = client.get(index="profiles", id=doc_id)
    return (
        found["_source"]["source_version"] if mapping.write_mode == "merge" else found["_version"]
    )


def test_an_older_change_never_overwrites_a_newer_one(
    applied: OpenSearch, mapping: SyncMapping
) -> None:
    write(applied, mapping, member("a", 20, bio="new"))
    older = write(applied, mapping, member("a", 10, bio="old"))
    replayed = write(applied, mapping, member("a", 20, bio="replayed"))
    assert source(applied, "a")["bio"] == "new"
    assert version_of(applied, mapping, "a") == 20
    assert (older.stale, replayed.stale, older.indexed + replayed.indexed) == (1, 1, 0)


def test_replaying_a_delete_and_the_insert_before_it_leaves_the_member_deleted(
    applied: OpenSearch, mapping: SyncMapping
) -> None:
    write(applied, mapping, member("a", 1))
    write(applied, mapping, gone("a", 2))
    write(applied, mapping, member("a", 1))  # replay from an older checkpoint, in order
    write(applied, mapping, gone("a", 2))
    assert source(applied, "a") is None


def test_deleted_status_removes_the_document(applied: OpenSearch, mapping: SyncMapping) -> None:
    write(applied, mapping, member("a", 1))
    out = write(applied, mapping, member("a", 2, status="deleted"))
    assert source(applied, "a") is None and out.deleted == 1


def test_a_removal_is_invisible_to_the_very_next_search(
    applied: OpenSearch, mapping: SyncMapping
) -> None:
    applied.indices.put_settings(index="profiles", body={"index.refresh_interval": "-1"})
    write(applied, mapping, member("a", 1), member("b", 1), member("c", 1))
    applied.indices.refresh(index="profiles")
    write(applied, mapping, member("a", 2, status="hidden"), gone("b", 2))
    hits = applied.search(index="profiles", body={"query": {"term": {"status": "active"}}})["hits"][
        "hits"
    ]
    assert [h["_id"] for h in hits] == ["c"]


def test_plain_updates_do_not_force_a_refresh(applied: OpenSearch, mapping: SyncMapping) -> None:
    applied.indices.put_settings(index="profiles", body={"index.refresh_interval": "-1"})
    write(applied, mapping, member("a", 1))
    assert applied.count(index="profiles")["count"] == 0  # searchable at the next refresh


def test_merge_keeps_what_other_writers_put_in_the_document(
    applied: OpenSearch, profiles_mapping: SyncMapping
) -> None:
    write(applied, profiles_mapping, member("a", 1, bio="first"))
    taste = unit_vector(7).tolist()
    applied.update(
        index="profiles",
        id="a",
        body={"doc": {"impressions_7d": 12.5, "blocked_ids": ["x"], "taste_vector": taste}},
    )
    write(applied, profiles_mapping, member("a", 2, bio="second"))
    doc = source(applied, "a")
    assert doc["bio"] == "second" and doc["source_version"] == 2
    assert doc["impressions_7d"] == 12.5 and doc["blocked_ids"] == ["x"]
    assert np.allclose(doc["taste_vector"], taste)


def test_merge_clears_fields_the_source_dropped(
    applied: OpenSearch, profiles_mapping: SyncMapping
) -> None:
    write(applied, profiles_mapping, member("a", 1, job="nurse"))
    write(applied, profiles_mapping, member("a", 2))
    assert source(applied, "a")["job"] is None


def test_merge_sends_the_vector_only_when_the_text_changed(
    applied: OpenSearch, profiles_mapping: SyncMapping
) -> None:
    write(applied, profiles_mapping, member("a", 1))
    marker = unit_vector(99).tolist()
    applied.update(index="profiles", id="a", body={"doc": {"profile_vector": marker}})
    write(applied, profiles_mapping, member("a", 2, gender="man"))  # same text
    assert np.allclose(source(applied, "a")["profile_vector"], marker)
    write(applied, profiles_mapping, member("a", 3, bio="now loves jazz"))
    assert not np.allclose(source(applied, "a")["profile_vector"], marker)


def test_merge_retries_when_another_writer_gets_in_between(
    applied: OpenSearch, profiles_mapping: SyncMapping
) -> None:
    write(applied, profiles_mapping, member("a", 1))
    real_bulk = applied.bulk
    interleaved = {"done": False}

    def bulk_after_a_signals_write(*args: Any, **kwargs: Any) -> Any:
        if not interleaved["done"]:  # between the sink's read and its write
            interleaved["done"] = True
            applied.update(index="profiles", id="a", body={"doc": {"likes_received_7d": 3.0}})
        return real_bulk(*args, **kwargs)

    applied.bulk = bulk_after_a_signals_write  # type: ignore[method-assign]
    out = write(applied, profiles_mapping, member("a", 2, bio="updated"))
    doc = source(applied, "a")
    assert out.conflicts == 1 and out.indexed == 1
    assert doc["bio"] == "updated" and doc["likes_received_7d"] == 3.0


@pytest.fixture
def reads(applied: OpenSearch) -> list[list[str]]:
    """The ids of every real-time ``_mget`` the sink sends, in order."""
    seen: list[list[str]] = []
    real_mget = applied.mget

    def counting_mget(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["body"]["ids"])
        return real_mget(*args, **kwargs)

    applied.mget = counting_mget  # type: ignore[method-assign]
    return seen


def test_merge_reads_a_document_only_when_its_own_last_write_is_unknown(
    applied: OpenSearch, profiles_mapping: SyncMapping, reads: list[list[str]]
) -> None:
    sink = Sink(applied, profiles_mapping, "test://")
    sink.write(prepared(profiles_mapping, [member("a", 1)]))
    sink.write(prepared(profiles_mapping, [member("a", 2, job="pilot"), member("b", 2)]))
    sink.write(prepared(profiles_mapping, [member("a", 3), gone("b", 3)]))
    assert reads == [["a"], ["b"]]
    assert source(applied, "a")["source_version"] == 3 and source(applied, "b") is None


def test_a_restarted_merge_sink_reads_only_what_it_never_wrote_or_would_skip(
    applied: OpenSearch, profiles_mapping: SyncMapping, tmp_path: Path, reads: list[list[str]]
) -> None:
    first = KnownDocs(path=tmp_path / "known.sqlite")
    Sink(applied, profiles_mapping, "test://", known=first).write(
        prepared(profiles_mapping, [member("a", 1)])
    )
    first.close()
    restarted = KnownDocs(path=tmp_path / "known.sqlite")
    sink = Sink(applied, profiles_mapping, "test://", known=restarted)
    sink.write(prepared(profiles_mapping, [member("a", 2, job="pilot"), member("b", 2)]))
    replay = sink.write(prepared(profiles_mapping, [member("a", 2)]))
    assert reads == [["a"], ["b"], ["a"]]  # the replay is found stale by a real read
    assert replay.stale == 1 and source(applied, "a")["job"] == "pilot"


def test_merge_creates_a_member_first_seen_through_a_signals_upsert(
    applied: OpenSearch, profiles_mapping: SyncMapping
) -> None:
    applied.update(
        index="profiles", id="a", body={"doc": {"impressions_1d": 1.0}, "doc_as_upsert": True}
    )
    write(applied, profiles_mapping, member("a", 5))
    doc = source(applied, "a")
    assert (
        doc["impressions_1d"] == 1.0
        and doc["source_version"] == 5
        and doc["headline"] == "a headline"
    )


def test_a_document_the_engine_refuses_goes_to_the_dead_letter_index(
    applied: OpenSearch, mapping: SyncMapping
) -> None:
    out = write(applied, mapping, member("ok", 1), member("bad", 1, age_min="twenty"))
    applied.indices.refresh(index="mutuo-deadletter")
    letters = applied.search(index="mutuo-deadletter")["hits"]["hits"]
    assert out.indexed == 1 and out.dead_letters == 1
    assert [h["_source"]["doc_id"] for h in letters] == ["bad"]
    entry = letters[0]["_source"]
    assert entry["stage"] == "index" and entry["error"]["type"] == "mapper_parsing_exception"
    assert entry["document"]["age_min"] == "twenty" and entry["version"] == 1
    assert entry["document"]["headline"] == "bad headline"  # the source document as it came
    write(
        applied, mapping, member("bad", 1, age_min="twenty")
    )  # replayed: same entry, no duplicate
    applied.indices.refresh(index="mutuo-deadletter")
    assert applied.count(index="mutuo-deadletter")["count"] == 1


def test_a_write_block_is_waited_out_with_backoff(
    applied: OpenSearch, mapping: SyncMapping
) -> None:
    applied.indices.put_settings(index="profiles-v1", body={"index.blocks.write": True})
    timer = threading.Timer(
        0.3,
        lambda: applied.indices.put_settings(
            index="profiles-v1", body={"index.blocks.write": None}
        ),
    )
    timer.start()
    out = write(applied, mapping, member("a", 1))
    timer.join()
    assert out.retries >= 1 and out.indexed == 1 and source(applied, "a") is not None


def test_writing_without_the_alias_says_to_run_apply(
    memory_client: OpenSearch, mapping: SyncMapping
) -> None:
    with pytest.raises(SinkError, match="mutuo apply"):
        write(memory_client, mapping, member("a", 1))
    assert not memory_client.indices.exists(index="profiles")  # never auto-created


def test_external_mode_writes_whole_documents_at_the_source_version(
    applied: OpenSearch, profiles_mapping: SyncMapping
) -> None:
    external = dataclasses.replace(profiles_mapping, write_mode="external")
    write(applied, external, member("a", 7, job="nurse"))
    found = applied.get(index="profiles", id="a")
    assert found["_version"] == 7 and found["_source"]["source_version"] == 7
    assert "skills" not in found["_source"]  # missing fields are left out, not nulled
    write(applied, external, gone("a", 7))  # a delete at the same version still applies
    assert source(applied, "a") is None


def test_vectors_with_tiny_values_are_sent_as_the_engine_writes_them(
    applied: OpenSearch, mapping: SyncMapping
) -> None:
    """float32 writers print 1.3e-6 as 0.0000013; sent so, the engine would store the
    whole document as one piece and re-read the vector at every update that keeps it."""
    batch = prepared(mapping, [member("m1", 1)])
    ((_hash, vector),) = batch.vectors.items()
    vector[:8] = np.float32(-1.3134954e-6)
    Sink(applied, mapping, "test://").write(batch)
    engine = applied.transport.get_connection().engine
    index = engine.resolve("profiles")[0]
    stored = engine.store.stored(index.uuid, ["m1"], True)["m1"]
    assert [m.name for m in stored.members] == ["profile_vector"]
    sent = source(applied, "m1")
    assert sent is not None
    assert np.array_equal(np.asarray(sent["profile_vector"], dtype=np.float32), vector)
