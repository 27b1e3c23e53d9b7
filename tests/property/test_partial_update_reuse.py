"""A partial update re-indexes only the members it changed (``Shard`` copies the column
entries of the others from the document's previous ordinal). It must leave the index
exactly as re-indexing the merged ``_source`` from scratch does.

Each example builds one random mapping on two indices of one engine, writes the same
documents to both, then applies random partial updates to ``fast`` (the ``_update``
path, reusing members) and indexes the merged source on ``full`` (a whole-document write,
parsing every member). Every indexed structure of every document is then compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutuo.engine import Engine
from mutuo.engine.columns import (
    GeoColumn,
    KeywordColumn,
    NumericColumn,
    TextColumn,
    VectorColumn,
)
from mutuo.engine.shard import Shard

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

small_text = st.text("abc xyz", max_size=8)
floats = st.one_of(st.floats(-1e3, 1e3, allow_nan=False), st.sampled_from([0.0, -0.0, 1.0]))
numbers = st.one_of(st.integers(-1000, 1000), floats, st.sampled_from(["7", "2.5"]))
scalars = st.one_of(small_text, numbers, st.booleans(), st.none())
dates = st.one_of(
    st.integers(0, 2 * 10**12), st.sampled_from(["2024-01-02", "2024-01-02T03:04:05Z", "1999"])
)
points = st.one_of(
    st.fixed_dictionaries({"lat": st.floats(-80, 80), "lon": st.floats(-170, 170)}),
    st.tuples(st.floats(-170, 170), st.floats(-80, 80)).map(list),
    st.sampled_from(["10.5,20.25", "-1,2"]),
)


def field_values(kind: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(kind, st.lists(kind, max_size=3), st.none())


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "keyword": field_values(st.one_of(small_text, numbers, st.booleans())),
    "long": field_values(st.one_of(st.integers(-(2**40), 2**40), numbers)),
    "double": field_values(numbers),
    "float": field_values(numbers),
    "date": field_values(dates),
    "boolean": field_values(st.one_of(st.booleans(), st.sampled_from(["true", "false"]))),
    "geo_point": st.one_of(points, st.lists(points, min_size=2, max_size=3), st.none()),
    "knn_vector": st.one_of(
        st.lists(st.floats(-2, 2, width=32), min_size=3, max_size=3), st.none()
    ),
    "text": field_values(small_text),
    "object": st.one_of(
        st.fixed_dictionaries({}, optional={"x": small_text, "y": st.integers(0, 9), "z": scalars}),
        st.lists(st.fixed_dictionaries({}, optional={"x": small_text, "y": st.integers(0, 9)})),
        st.none(),
    ),
    "unmapped": st.one_of(scalars, st.lists(scalars, max_size=2)),
}


def field_spec(kind: str, multi: bool, limit: int | None) -> dict[str, Any]:
    if kind == "object":
        return {"properties": {"x": {"type": "keyword"}, "y": {"type": "long"}}}
    spec: dict[str, Any] = {"type": kind}
    if kind == "knn_vector":
        spec["dimension"] = 3
    if kind == "keyword" and limit is not None:
        spec["ignore_above"] = limit
    if multi and kind in ("keyword", "text", "long", "date"):
        spec["fields"] = {"raw": {"type": "keyword"}}
    return spec


@st.composite
def mappings(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, str]]:
    """A mapping over some of the kinds, and each top-level member's kind."""
    kinds = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=6, unique=True))
    members = {f"f_{kind}": kind for kind in kinds}
    props = {
        name: field_spec(kind, draw(st.booleans()), draw(st.sampled_from([None, 4])))
        for name, kind in members.items()
        if kind != "unmapped"
    }
    if draw(st.integers(0, 3)) == 0 and "f_keyword" in props:
        props["all"] = {"type": "keyword"}
        props["f_keyword"]["copy_to"] = "all"
    dynamic = draw(st.sampled_from(["true", "false", "strict"]))
    return {"dynamic": dynamic, "properties": props}, members


def document(draw: st.DrawFn, members: dict[str, str], base: dict[str, Any]) -> dict[str, Any]:
    """Some members, each the base's value (mostly) or a new one."""
    doc: dict[str, Any] = {}
    for name, kind in members.items():
        if not draw(st.booleans()):
            continue
        keep = name in base and draw(st.integers(0, 3)) > 0
        doc[name] = json.loads(json.dumps(base[name])) if keep else draw(VALUES[kind])
    return doc


def request(engine: Engine, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = None if body is None else json.dumps(body).encode()
    status, _headers, out = engine.handle(method, path, {}, raw)
    return status, json.loads(out) if out else None


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def indexed(shard: Shard, doc_id: str) -> dict[str, Any]:
    """Everything the columns hold for one document, keyed by field."""
    ordinal = shard.id_to_ord[doc_id]
    out: dict[str, Any] = {}
    for path, column in shard.columns.items():
        out[path] = column_entry(column, ordinal)
    return {path: entry for path, entry in out.items() if entry}


def column_entry(column: Any, o: int) -> Any:
    if isinstance(column, KeywordColumn):
        terms = [column.terms[t] for t in column.doc_terms(o)]
        postings = sorted(t for t in column.terms if o in column.docs(t).tolist())
        return (terms, postings)
    if isinstance(column, NumericColumn):
        docs, vals = column.all_values()
        mine = sorted(vals[docs == o].tolist())
        if not column.has.view()[o]:
            return None
        return (mine, column.values.view()[o].item(), column.max_values.view()[o].item())
    if isinstance(column, TextColumn):
        entries = []
        for term in column.terms:
            docs, offsets, positions = column.positions(term)
            hit = np.flatnonzero(docs == o)
            for i in hit.tolist():
                entries.append((term, positions[offsets[i] : offsets[i + 1]].tolist()))
        return (int(column.lengths.view()[o]), sorted(entries)) if entries else None
    if isinstance(column, GeoColumn):
        mv = column.mv_docs.view() == o
        lats, lons = column.mv_lat.view()[mv].tolist(), column.mv_lon.view()[mv].tolist()
        multi = list(zip(lats, lons, strict=True))
        lat, lon = column.lat.view()[o], column.lon.view()[o]
        return None if np.isnan(lat) else (float(lat), float(lon), multi)
    assert isinstance(column, VectorColumn)
    return column.matrix.view()[o].tolist() if column.has.view()[o] else None


@SETTINGS
@given(st.data())
def test_partial_updates_index_exactly_like_reindexing_the_merged_source(
    data: st.DataObject,
) -> None:
    mapping, members = data.draw(mappings())
    engine = Engine(":memory:")
    try:
        for name in ("fast", "full"):
            assert request(engine, "PUT", f"/{name}", {"mappings": mapping})[0] == 200
        sources: dict[str, dict[str, Any]] = {}
        for doc_id in ("1", "2"):
            doc = document(data.draw, members, {})
            statuses = {
                request(engine, "PUT", f"/{n}/_doc/{doc_id}", doc)[0] for n in ("fast", "full")
            }
            assert len(statuses) == 1
            if statuses == {201}:
                sources[doc_id] = doc
        request(engine, "POST", "/_refresh")
        for _round in range(data.draw(st.integers(1, 6))):
            doc_id = data.draw(st.sampled_from(sorted(sources) or ["1"]))
            if doc_id not in sources:
                break
            patch = document(data.draw, members, sources[doc_id])
            fast, _ = request(engine, "POST", f"/fast/_update/{doc_id}", {"doc": patch})
            merged = merge(sources[doc_id], patch)
            full, _ = request(engine, "PUT", f"/full/_doc/{doc_id}", merged)
            assert (fast < 300) == (full < 300)
            if fast < 300:
                sources[doc_id] = merged
            if data.draw(st.integers(0, 3)) > 0:
                request(engine, "POST", "/_refresh")
        request(engine, "POST", "/_refresh")
        fast_index, full_index = engine.indices["fast"], engine.indices["full"]
        assert fast_index.mapping.render() == full_index.mapping.render()
        for doc_id, source in sources.items():
            assert request(engine, "GET", f"/fast/_source/{doc_id}")[1] == source
            assert indexed(fast_index.shard, doc_id) == indexed(full_index.shard, doc_id)
    finally:
        engine.close()


@pytest.fixture
def engine() -> Iterator[Engine]:
    built = Engine(":memory:")
    yield built
    built.close()


def test_a_partial_update_reuses_the_members_it_leaves_unchanged(engine: Engine) -> None:
    props = {"tag": {"type": "keyword"}, "n": {"type": "long"}, "bio": {"type": "text"}}
    request(engine, "PUT", "/docs", {"mappings": {"properties": props}})
    request(engine, "PUT", "/docs/_doc/1", {"tag": ["a", "b"], "n": 1, "bio": "hi"})
    request(engine, "POST", "/docs/_refresh")
    request(engine, "POST", "/docs/_update/1", {"doc": {"n": 2, "tag": ["a", "b"]}})
    (op,) = engine.indices["docs"].shard.pending
    assert op.reuse == (0, ("tag", "bio"))  # text too: its tokens are copied, not analysed
    assert op.values == {"n": [2]}
    request(engine, "POST", "/docs/_refresh")
    status, hits = request(engine, "POST", "/docs/_search", {"query": {"term": {"tag": "b"}}})
    assert status == 200 and [h["_id"] for h in hits["hits"]["hits"]] == ["1"]
    status, hits = request(engine, "POST", "/docs/_search", {"query": {"match": {"bio": "hi"}}})
    assert status == 200 and [h["_id"] for h in hits["hits"]["hits"]] == ["1"]


def test_a_mapping_change_makes_the_next_update_parse_every_member(engine: Engine) -> None:
    props = {"tag": {"type": "keyword", "ignore_above": 3}, "n": {"type": "long"}}
    request(engine, "PUT", "/docs", {"mappings": {"properties": props}})
    request(engine, "PUT", "/docs/_doc/1", {"tag": "long value", "n": 1})
    request(engine, "POST", "/docs/_refresh")
    request(
        engine,
        "PUT",
        "/docs/_mapping",
        {"properties": {"tag": {"type": "keyword", "ignore_above": 50}}},
    )
    request(engine, "POST", "/docs/_update/1", {"doc": {"n": 2}})
    request(engine, "POST", "/docs/_refresh")
    body = {"query": {"term": {"tag": "long value"}}}
    _status, hits = request(engine, "POST", "/docs/_search", body)
    assert [h["_id"] for h in hits["hits"]["hits"]] == ["1"]


def test_copied_and_parsed_values_of_one_field_in_one_refresh_index_in_ordinal_order(
    engine: Engine,
) -> None:
    props = {"tags": {"type": "keyword"}, "n": {"type": "long"}, "x": {"type": "long"}}
    request(engine, "PUT", "/docs", {"mappings": {"properties": props}})
    for doc_id, n in (("1", [5, 3]), ("2", [9, 1])):
        request(engine, "PUT", f"/docs/_doc/{doc_id}", {"tags": ["b", "a"], "n": n, "x": 0})
    request(engine, "POST", "/docs/_refresh")
    request(engine, "POST", "/docs/_update/1", {"doc": {"x": 1}})  # n, tags copied
    request(engine, "POST", "/docs/_update/2", {"doc": {"n": [7, 2], "tags": ["c"]}})
    request(engine, "POST", "/docs/_update/1", {"doc": {"x": 2}})  # pending: parsed
    request(engine, "POST", "/docs/_refresh")
    shard = engine.indices["docs"].shard
    column = shard.columns["n"]
    assert isinstance(column, NumericColumn)
    entries = zip(column.mv_docs.view().tolist(), column.mv_values.view().tolist(), strict=True)
    # ordinals 0, 1: the first writes; 2: doc 1 copied; 3: doc 2; 4: doc 1 parsed
    assert list(entries) == [
        (0, 5),
        (0, 3),
        (1, 9),
        (1, 1),
        (2, 5),
        (2, 3),
        (3, 7),
        (3, 2),
        (4, 5),
        (4, 3),
    ]
    body = {"query": {"term": {"tags": "a"}}}
    _status, hits = request(engine, "POST", "/docs/_search", body)
    assert [h["_id"] for h in hits["hits"]["hits"]] == ["1"]
