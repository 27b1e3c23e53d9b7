"""Sources whose vectors are stored apart read back as OpenSearch returns them: the
bytes sent (GET, search hits, mget), what a whole-source merge stores after a partial
update, the pre-refresh version for searches until the next refresh, and stores written
with the vectors inside the JSON keep reading and updating correctly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from mutuo.engine import Engine, codec
from mutuo.engine.partial_update import deep_merge

MAPPING = {
    "mappings": {
        "properties": {
            "v": {"type": "knn_vector", "dimension": 3},
            "w": {"type": "knn_vector", "dimension": 3},
            "name": {"type": "keyword"},
            "n": {"type": "long"},
        }
    },
    "settings": {"index": {"refresh_interval": "-1", "knn": True}},
}
DOCS = [
    b'{"name":"a","v":[0.1,0.2,0.30000001192092896],"n":1,"w":[1e-7,0.00001,-2.5]}',
    b'{"v":[1,2,3],"w":[0.5,0.25,0.125]}',
    b'{"w": [1.0, 2.0, 3.0],  "name" : "spaced", "v":[3,2,1]}',
    b'{"name":"null vector","v":null,"n":2}',
]


def call(engine: Engine, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) or body is None else orjson.dumps(body)
    status, _headers, out = engine.handle(method, path, {}, data, {})
    return status, orjson.loads(out)


def raw_source(engine: Engine, doc_id: str) -> bytes:
    """The ``_source`` bytes of a GET response, as the client receives them."""
    _s, _h, out = engine.handle("GET", f"/docs/_doc/{doc_id}", {}, None, {})
    start = out.index(b'"_source":') + len(b'"_source":')
    return out[start:-1]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    built = Engine(tmp_path / "engine")
    call(built, "PUT", "/docs", MAPPING)
    for i, doc in enumerate(DOCS):
        assert call(built, "PUT", f"/docs/_doc/{i}", doc)[0] == 201
    call(built, "POST", "/docs/_refresh")
    yield built
    built.close()


def test_get_and_search_return_each_source_byte_for_byte(engine: Engine) -> None:
    for i, doc in enumerate(DOCS):
        assert raw_source(engine, str(i)) == doc
    _s, _h, out = engine.handle("POST", "/docs/_search", {}, b'{"size":10}', {})
    for doc in DOCS:
        assert doc in out
    _status, mget = call(engine, "POST", "/docs/_mget", {"ids": ["0", "1"]})
    assert [d["_source"] for d in mget["docs"]] == [orjson.loads(d) for d in DOCS[:2]]


def test_the_common_vectors_are_stored_apart(engine: Engine) -> None:
    rows = engine.store.stored(engine.indices["docs"].uuid, ["0", "1", "2", "3"], False)
    assert [m.name for m in rows["0"].members] == ["v", "w"]
    assert rows["0"].rest == b'{"name":"a","n":1}'
    assert rows["2"].layout is None  # blanks beside "w": the source is stored whole
    assert rows["3"].layout is None


@pytest.mark.parametrize("excludes", [["v", "w"], ["v"], ["name"], ["w", "n"], ["v*"], ["nothing"]])
def test_hits_with_excluded_members_show_what_filtering_the_whole_source_shows(
    engine: Engine, excludes: list[str]
) -> None:
    body = {"size": 10, "_source": {"excludes": excludes}, "sort": [{"_id": "asc"}]}
    _status, result = call(engine, "POST", "/docs/_search", body)
    shown = [h["_source"] for h in result["hits"]["hits"]]
    cut = {e.rstrip("*") for e in excludes}
    expected = [
        {k: v for k, v in orjson.loads(d).items() if not any(k.startswith(c) for c in cut)}
        if any(e.endswith("*") for e in excludes)
        else {k: v for k, v in orjson.loads(d).items() if k not in cut}
        for d in DOCS
    ]
    assert shown == expected


@pytest.mark.parametrize(
    "patch",
    [{"n": 5}, {"name": "b", "extra": {"x": [1, 2]}}, {"v": [9, 9, 9]}, {"w": None}, {"v": [1, 2]}],
)
def test_partial_updates_store_what_merging_the_whole_source_stores(
    engine: Engine, patch: dict[str, Any]
) -> None:
    for i, doc in enumerate(DOCS):
        status, result = call(engine, "POST", f"/docs/_update/{i}", {"doc": patch})
        if patch == {"v": [1, 2]}:
            assert status == 400  # a wrong dimension fails as before
            continue
        assert status == 200, result
        assert raw_source(engine, str(i)) == codec.dumps(deep_merge(orjson.loads(doc), patch))


def test_an_update_response_gets_the_whole_merged_source(engine: Engine) -> None:
    status, result = call(engine, "POST", "/docs/_update/0", {"doc": {"n": 7}, "_source": True})
    assert status == 200
    assert result["get"]["_source"] == {**orjson.loads(DOCS[0]), "n": 7}


def test_bulk_updates_of_one_document_chain_on_the_kept_vectors(engine: Engine) -> None:
    lines = [
        b'{"update":{"_index":"docs","_id":"0"}}',
        b'{"doc":{"n":2}}',
        b'{"update":{"_index":"docs","_id":"0"}}',
        b'{"doc":{"name":"z"}}',
        b'{"update":{"_index":"docs","_id":"1"}}',
        b'{"doc":{"w":[0,0,1]}}',
        b'{"update":{"_index":"docs","_id":"1"}}',
        b'{"doc":{"n":3}}',
    ]
    status, result = call(engine, "POST", "/_bulk", b"\n".join(lines) + b"\n")
    assert status == 200 and not result["errors"]
    first = {**orjson.loads(DOCS[0]), "n": 2, "name": "z"}
    second = {**orjson.loads(DOCS[1]), "w": [0, 0, 1], "n": 3}
    assert raw_source(engine, "0") == codec.dumps(first)
    assert raw_source(engine, "1") == codec.dumps(second)


def test_searches_see_the_refreshed_source_until_the_next_refresh(engine: Engine) -> None:
    call(engine, "POST", "/docs/_update/0", {"doc": {"n": 9}})  # keeps the vectors
    call(engine, "PUT", "/docs/_doc/0", {"v": [7, 7, 7]})  # then replaces them
    call(engine, "POST", "/docs/_update/1", {"doc": {"n": 9}})
    call(engine, "DELETE", "/docs/_doc/1")
    _s, _h, out = engine.handle("POST", "/docs/_search", {}, b'{"size":10}', {})
    assert DOCS[0] in out and DOCS[1] in out
    _status, hits = call(
        engine, "POST", "/docs/_search", {"size": 10, "_source": {"excludes": ["v", "w"]}}
    )
    assert {"name": "a", "n": 1} in [h["_source"] for h in hits["hits"]["hits"]]
    call(engine, "POST", "/docs/_refresh")
    assert raw_source(engine, "0") == b'{"v":[7,7,7]}'
    assert call(engine, "GET", "/docs/_doc/1")[0] == 404


def test_a_bulk_that_keeps_then_replaces_vectors_leaves_searches_the_refreshed_ones(
    engine: Engine,
) -> None:
    lines = [
        b'{"update":{"_index":"docs","_id":"0"}}',
        b'{"doc":{"n":2}}',
        b'{"index":{"_index":"docs","_id":"0"}}',
        b'{"v":[5,5,5]}',
    ]
    status, result = call(engine, "POST", "/_bulk", b"\n".join(lines) + b"\n")
    assert status == 200 and not result["errors"]
    _s, _h, out = engine.handle("POST", "/docs/_search", {}, b'{"size":10}', {})
    assert DOCS[0] in out
    call(engine, "POST", "/docs/_refresh")
    assert raw_source(engine, "0") == b'{"v":[5,5,5]}'


def test_a_store_with_vectors_inside_the_json_reads_and_updates(tmp_path: Path) -> None:
    path = tmp_path / "engine"
    engine = Engine(path)
    call(engine, "PUT", "/docs", MAPPING)
    for i, doc in enumerate(DOCS):
        call(engine, "PUT", f"/docs/_doc/{i}", doc)
    engine.close()
    db = sqlite3.connect(path / "engine.db")
    for (doc_id,) in db.execute("SELECT id FROM docs").fetchall():
        db.execute(  # the rows as written before vectors were stored apart
            "UPDATE docs SET source = ?, layout = NULL WHERE id = ?",
            (DOCS[int(doc_id)], doc_id),
        )
    db.execute("DELETE FROM vectors")
    db.commit()
    db.close()
    reopened = Engine(path)
    try:
        for i, doc in enumerate(DOCS):
            assert raw_source(reopened, str(i)) == doc
        status, _ = call(reopened, "POST", "/docs/_update/0", {"doc": {"n": 3}})
        assert status == 200
        assert raw_source(reopened, "0") == codec.dumps({**orjson.loads(DOCS[0]), "n": 3})
        status, hits = call(
            reopened,
            "POST",
            "/docs/_search",
            {"query": {"knn": {"v": {"vector": [3, 2, 1], "k": 1}}}},
        )
        assert status == 200 and hits["hits"]["hits"][0]["_id"] == "2"
    finally:
        reopened.close()
