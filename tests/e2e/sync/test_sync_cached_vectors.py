"""Cache hits on disk are checked without reading their vectors; a write reads the ones it
sends. Whatever the path, the index ends with the vector of each document's text."""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from pathlib import Path

import numpy as np
from opensearchpy import OpenSearch

from mutuo.client import FastJSONSerializer
from mutuo.sync.changes import Change, ChangeBatch
from mutuo.sync.config import SyncMapping
from mutuo.sync.embedder import Embedder
from mutuo.sync.embedding_cache import EmbeddingCache
from mutuo.sync.prepare import PreparedBatch, Preparer
from mutuo.sync.sink import Sink

AT = time.time()


def member(doc_id: str, version: int, bio: str) -> Change:
    doc = {"status": "active", "headline": "hello", "bio": bio, "gender": "woman"}
    return Change("update", doc_id, version, doc, AT)


def indexed_vector(client: OpenSearch, doc_id: str) -> np.ndarray:
    source = client.get(index="profiles", id=doc_id)["_source"]
    return np.asarray(source["profile_vector"], dtype=np.float32)


def prepare(
    mapping: SyncMapping, embedder: Embedder, cache: EmbeddingCache, *changes: Change
) -> PreparedBatch:
    return Preparer(mapping, embedder, cache).prepare(ChangeBatch(list(changes), {}))


def test_disk_cache_hits_are_written_with_their_vectors_read_only_when_sent(
    applied: OpenSearch, mapping: SyncMapping, embedder: Embedder, tmp_path: Path
) -> None:
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    texts = ["likes hiking", "now loves jazz"]
    first = prepare(mapping, embedder, cache, *(member(f"m{i}", 1, t) for i, t in enumerate(texts)))
    expected = dict(first.vectors)
    cache.close()
    cache = EmbeddingCache(tmp_path / "e.sqlite")  # a restart: the vectors are on disk only
    sink = Sink(applied, mapping, "test://")

    new = prepare(mapping, embedder, cache, member("a", 1, "likes hiking"))
    assert (new.embedded, new.cache_hits, new.vectors) == (0, 1, {})
    sink.write(new)
    (h,) = new.hashes.values()
    assert np.allclose(indexed_vector(applied, "a"), expected[h])

    cache.close()
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    same = prepare(mapping, embedder, cache, member("a", 2, "likes hiking"))
    sink.write(same)
    assert (same.vectors == {}) == (mapping.write_mode == "merge")  # merge: no vector sent

    changed = prepare(mapping, embedder, cache, member("a", 3, "now loves jazz"))
    assert changed.embedded == 0
    sink.write(changed)
    (h,) = changed.hashes.values()
    assert np.allclose(indexed_vector(applied, "a"), expected[h])
    cache.close()


def test_a_cache_written_before_the_embeddings_table_is_moved_over(tmp_path: Path) -> None:
    path = tmp_path / "e.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE vectors (hash TEXT PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID")
    vector = np.arange(4, dtype=np.float32)
    old.execute("INSERT INTO vectors VALUES (?, ?)", ("h1", vector.tobytes()))
    old.commit()
    old.close()
    cache = EmbeddingCache(path)
    assert cache.present(["h1", "h2"]) == ({}, {"h1"})
    assert np.array_equal(cache.lookup(["h1"])["h1"], vector)
    cache.close()


def test_the_bulk_body_is_what_the_client_would_have_serialised(
    applied: OpenSearch, profiles_mapping: SyncMapping
) -> None:
    """The sink writes the NDJSON itself; the bytes equal opensearch-py's own (with the
    project's serializer) for metadata, partial documents and numpy vectors alike."""
    sink = Sink(applied, profiles_mapping, "test://")
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    actions = [
        {"update": {"_index": "profiles", "_id": "a", "if_seq_no": 3, "if_primary_term": 1}},
        {"doc": {"bio": "é ✓", "tags": ["x", None], "n": 1.5, "profile_vector": vector}},
        {"delete": {"_index": "profiles", "_id": "b"}},
    ]
    serializer = FastJSONSerializer()
    expected = "".join(serializer.dumps(a) + "\n" for a in actions).encode()
    assert sink._ndjson(actions) == expected
    huge = [{"index": {"_id": "c"}}, {"n": 2**70}]  # beyond orjson: the client's fallback
    assert sink._ndjson(huge) == "".join(serializer.dumps(a) + "\n" for a in huge).encode()


def test_external_mode_sends_whole_documents_with_vectors_read_from_disk(
    applied: OpenSearch, profiles_mapping: SyncMapping, embedder: Embedder, tmp_path: Path
) -> None:
    mapping = dataclasses.replace(profiles_mapping, write_mode="external")
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    first = prepare(mapping, embedder, cache, member("a", 1, "likes hiking"))
    expected = next(iter(first.vectors.values()))
    cache.close()
    cache = EmbeddingCache(tmp_path / "e.sqlite")
    again = prepare(mapping, embedder, cache, member("b", 1, "likes hiking"))
    Sink(applied, mapping, "test://").write(again)
    assert np.allclose(indexed_vector(applied, "b"), expected)
    cache.close()
