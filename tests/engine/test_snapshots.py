"""Reopening restores snapshots and replays only what the store has that they lack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mutuo.engine import Engine, snapshot

MAPPING = {
    "properties": {
        "bio": {"type": "text"},
        "tag": {"type": "keyword"},
        "age": {"type": "integer"},
        "vec": {
            "type": "knn_vector",
            "dimension": 3,
            "method": {"name": "hnsw", "space_type": "l2"},
        },
    }
}


def call(engine: Engine, method: str, path: str, body: Any = None, **params: Any) -> Any:
    from mutuo.engine import codec

    status, _headers, data = engine.handle(
        method, path, params, codec.dumps(body) if body is not None else None
    )
    assert status < 300, data
    return codec.loads(data) if data else None


def bulk(engine: Engine, docs: dict[str, dict[str, Any] | None]) -> None:
    lines = []
    for doc_id, source in docs.items():
        if source is None:
            lines.append({"delete": {"_index": "people", "_id": doc_id}})
        else:
            lines += [{"index": {"_index": "people", "_id": doc_id}}, source]
    from mutuo.engine import codec

    body = b"".join(codec.dumps(line) + b"\n" for line in lines)
    status, _h, data = engine.handle("POST", "/_bulk", {"refresh": "true"}, body)
    assert status == 200 and not codec.loads(data)["errors"], data


def state(engine: Engine) -> dict[str, Any]:
    searches = {
        "match": {"query": {"match": {"bio": "hiking coffee"}}},
        "filter": {
            "query": {"bool": {"filter": [{"term": {"tag": "a"}}, {"range": {"age": {"gte": 30}}}]}}
        },
        "knn": {"query": {"knn": {"vec": {"vector": [1, 0, 0], "k": 60}}}},
    }
    return {
        name: [
            (h["_id"], h["_score"])
            for h in call(engine, "POST", "/people/_search", {**body, "size": 50})["hits"]["hits"]
        ]
        for name, body in searches.items()
    } | {"count": call(engine, "GET", "/people/_count")["count"]}


def doc(i: int) -> dict[str, Any]:
    return {
        "bio": f"likes hiking {'coffee' if i % 2 else 'tea'} {i}",
        "tag": "ab"[i % 2],
        "age": 20 + i,
        "vec": [i % 3, 1, i % 5],
    }


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "engine"


def test_close_writes_a_snapshot_that_reopening_restores(path: Path) -> None:
    engine = Engine(path)
    call(engine, "PUT", "/people", {"settings": {"index.knn": True}, "mappings": MAPPING})
    bulk(engine, {str(i): doc(i) for i in range(30)})
    bulk(engine, {"3": {**doc(3), "bio": "changed coffee"}, "4": None})
    before = state(engine)
    uuid = engine.indices["people"].uuid
    engine.close()
    assert snapshot.path_for(path, uuid).exists()
    reopened = Engine(path)
    try:
        assert state(reopened) == before
        assert reopened.indices["people"].shard.changes_since_snapshot == 0
    finally:
        reopened.close()


def test_writes_after_the_snapshot_are_replayed_from_the_store(path: Path) -> None:
    engine = Engine(path)
    call(engine, "PUT", "/people", {"settings": {"index.knn": True}, "mappings": MAPPING})
    bulk(engine, {str(i): doc(i) for i in range(20)})
    assert snapshot.save(path, engine.indices["people"])
    bulk(engine, {"1": {**doc(1), "bio": "new hiking coffee"}, "2": None, "50": doc(50)})
    expected = state(engine)
    # a crash: the engine goes away without its close-time snapshot
    engine._stop.set()
    engine.store.close()
    assert engine._writer_lock is not None
    engine._writer_lock.release()
    reopened = Engine(path)
    try:
        assert state(reopened) == expected
        assert "2" not in reopened.indices["people"].shard.id_to_ord
    finally:
        reopened.close()


def test_an_unreadable_snapshot_is_ignored(path: Path) -> None:
    engine = Engine(path)
    call(engine, "PUT", "/people", {"settings": {"index.knn": True}, "mappings": MAPPING})
    bulk(engine, {str(i): doc(i) for i in range(10)})
    expected = state(engine)
    uuid = engine.indices["people"].uuid
    engine.close()
    snapshot.path_for(path, uuid).write_bytes(b"not a pickle")
    reopened = Engine(path)
    try:
        assert state(reopened) == expected
    finally:
        reopened.close()


def test_deleting_the_index_removes_its_snapshot(path: Path) -> None:
    engine = Engine(path)
    call(engine, "PUT", "/people", {"mappings": {"properties": {"tag": {"type": "keyword"}}}})
    bulk(engine, {"1": {"tag": "a"}})
    uuid = engine.indices["people"].uuid
    assert snapshot.save(path, engine.indices["people"])
    call(engine, "DELETE", "/people")
    assert not snapshot.path_for(path, uuid).exists()
    engine.close()
