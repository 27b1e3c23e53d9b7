"""Vectors stored apart from ``_source`` come back exactly: the split of any JSON layout
puts back the bytes sent, a partial update stores what merging the whole source stored,
and filters cutting the vectors show the same bytes from the small row."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values

from mutuo.engine import codec
from mutuo.engine.mapping import Mapping
from mutuo.engine.partial_update import deep_merge
from mutuo.engine.source_bytes import cut_members
from mutuo.engine.stored_source import (
    StoredSource,
    _placed,
    _rebuilt_around_marks,
    rebuild,
    split,
)

VECTORS = ["v1", "v2", "v3"]
NAMES = [*VECTORS, "name", "meta", "tags", "a\\b", 'q"t']
MAPPING = Mapping(
    {
        "properties": {
            **{v: {"type": "knn_vector", "dimension": 3} for v in VECTORS},
            "meta": {"properties": {"v1": {"type": "knn_vector", "dimension": 3}}},
        }
    }
)

values = json_values(NAMES, alphabet='ab ,:[]{}"\\\u00e9\n\x00')
numbers = st.one_of(st.floats(-1, 1, width=32), st.floats(-1e-6, 1e-6), st.integers(-3, 3))
vectors = st.one_of(st.lists(numbers, min_size=3, max_size=3), st.none(), st.just([]))
documents = st.dictionaries(st.sampled_from(NAMES), st.one_of(values, vectors), max_size=8)


def _layouts(doc: dict[str, Any]) -> list[bytes]:
    """The document as the engine writes it, as Python's json writes it (other number
    text: ``1e-07``), with blanks, and with escaped names."""
    compact = orjson.dumps(doc)
    python = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    spaced = json.dumps(doc, indent=1).encode()
    escaped = json.dumps(doc, ensure_ascii=True).replace('"v', '"\\u0076').encode()
    return [compact, python, spaced, escaped]


@settings(max_examples=300, deadline=None)
@given(documents)
def test_split_sources_put_back_the_bytes_sent(doc: dict[str, Any]) -> None:
    for raw in _layouts(doc):
        source = codec.loads(raw)
        stored = split(raw, source, MAPPING)
        assert stored.whole() == raw
        assert codec.loads(stored.rest) == {
            k: v for k, v in source.items() if k not in {m.name for m in stored.members}
        }


@settings(max_examples=300, deadline=None)
@given(documents)
def test_engine_written_vectors_are_stored_apart(doc: dict[str, Any]) -> None:
    """(unless a ``\\u`` escape is written: a name could hide behind one)"""
    raw = orjson.dumps(doc)
    if b"\\u" in raw:
        return
    stored = split(raw, doc, MAPPING)
    expected = [
        k
        for k, v in doc.items()
        if k in VECTORS and isinstance(v, list) and v and all(type(x) in (int, float) for x in v)
    ]
    assert [m.name for m in stored.members] == expected


@settings(max_examples=300, deadline=None)
@given(documents, st.dictionaries(st.sampled_from([*NAMES[3:], "new"]), values, max_size=4))
def test_partial_update_around_kept_vectors_stores_what_the_whole_merge_stores(
    doc: dict[str, Any], patch: dict[str, Any]
) -> None:
    for raw in _layouts(doc):
        stored = split(raw, codec.loads(raw), MAPPING)
        if not stored.members:
            continue
        merged_rest = deep_merge(codec.loads(stored.rest), patch)
        kept = rebuild(merged_rest, stored.members, stored.vectors)
        assert kept is not None
        whole = deep_merge(codec.loads(raw), patch)
        assert StoredSource(kept.rest, kept.layout, stored.vectors).whole() == codec.dumps(whole)
        assert kept.vectors == stored.vectors


@settings(max_examples=300, deadline=None)
@given(documents, st.lists(st.sampled_from(NAMES), min_size=1, max_size=4))
def test_cutting_the_rest_gives_the_bytes_cutting_the_whole_gives(
    doc: dict[str, Any], names: list[str]
) -> None:
    wanted = tuple(dict.fromkeys([*VECTORS, *names]))
    for raw in _layouts(doc):
        stored = split(raw, codec.loads(raw), MAPPING)
        assert cut_members(stored.rest, wanted) == cut_members(raw, wanted)


@settings(max_examples=400, deadline=None)
@given(documents, st.dictionaries(st.sampled_from([*NAMES[3:], "new"]), values, max_size=4))
def test_placing_kept_vectors_by_name_lays_out_what_the_marks_lay_out(
    doc: dict[str, Any], patch: dict[str, Any]
) -> None:
    """The quick placement (after the member before, found by name) gives the very rest
    and layout bytes the marks give, or leaves the document to them."""
    for raw in _layouts(doc):
        stored = split(raw, codec.loads(raw), MAPPING)
        if not stored.members:
            continue
        merged_rest = deep_merge(codec.loads(stored.rest), patch)
        rest = orjson.dumps(merged_rest)
        placed = _placed(rest, merged_rest, stored.members)
        marked = _rebuilt_around_marks(merged_rest, stored.members, stored.vectors)
        if placed is not None:
            assert marked is not None
            assert (rest, orjson.dumps(placed)) == (marked.rest, marked.layout)


def test_vectors_after_the_first_member_are_placed_by_name() -> None:
    doc = {"name": "a", "v1": [0.5, 1, -2], "meta": {"x": 0, "tags": 1}, "v2": [1, 2], "tags": "x"}
    stored = split(orjson.dumps(doc), doc, MAPPING)
    merged_rest = deep_merge(codec.loads(stored.rest), {"name": "bb"})
    rest = orjson.dumps(merged_rest)
    assert _placed(rest, merged_rest, stored.members) is None  # ,"tags": also in "meta"
    del merged_rest["meta"]["tags"]
    rest = orjson.dumps(merged_rest)
    placed = _placed(rest, merged_rest, stored.members)
    assert placed is not None and [entry[1] for entry in placed] == [
        rest.index(b',"meta"'),
        rest.index(b',"tags"'),
    ]
    assert rebuild(merged_rest, stored.members, stored.vectors) == StoredSource(
        rest, orjson.dumps(placed), stored.vectors
    )
