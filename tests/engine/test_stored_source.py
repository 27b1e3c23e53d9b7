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
from mutuo.engine.stored_source import StoredSource, rebuild, split

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
