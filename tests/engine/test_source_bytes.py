"""Excluded members cut from ``_source`` bytes leave what the filter of the parsed source
leaves, whatever the JSON's layout, and searches show the same sources as before."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from json_strategies import json_values
from opensearchpy import OpenSearch

from mutuo.engine.source_bytes import cut_members, cuttable
from mutuo.engine.source_filter import filter_source

NAMES = ["profile_vector", "graph_vector", "blocked_ids", "name", "meta", "a\\b", 'q"t', "x.y"]
EXCLUDES = [
    ("profile_vector",),
    ("profile_vector", "graph_vector", "blocked_ids"),
    ("*_vector",),
    ("meta.profile_vector", "name"),
    ("meta",),
    ("x.y", 'q"t', "a\\b"),
]

values = json_values(NAMES, alphabet='ab ,:[]{}"\\\u00e9\n')
vectors = st.lists(st.floats(-1, 1, width=32), min_size=1, max_size=6)
documents = st.dictionaries(st.sampled_from(NAMES), st.one_of(values, vectors), max_size=8)


def _layouts(doc: dict[str, Any]) -> list[bytes]:
    """The same document written compactly, with spaces and newlines, and with an
    escaped name (which the cut must leave to the filter)."""
    compact = orjson.dumps(doc)
    spaced = json.dumps(doc, indent=1).encode()
    loose = json.dumps(doc, separators=(" , ", " : ")).encode()
    escaped = json.dumps(doc, ensure_ascii=True).replace("_", "\\u005f").encode()
    return [compact, spaced, loose, escaped]


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from(EXCLUDES))
def test_cut_bytes_parse_to_what_the_filter_keeps(doc: dict[str, Any], excludes: tuple) -> None:
    expected = filter_source(doc, [], list(excludes))
    names = tuple(n for n in excludes if cuttable(n) and not any(c in n for c in ".*?["))
    for raw in _layouts(doc):
        cut = cut_members(raw, names)
        kept = orjson.loads(cut.data)
        assert filter_source(kept, [], list(excludes)) == expected
        if cut.complete:
            assert {k: v for k, v in kept.items() if k not in names} == kept


def test_cut_removes_top_level_members_only() -> None:
    raw = b'{"profile_vector": [0.5, -1e-3], "meta": {"profile_vector": [1]}, "n": 2}'
    cut = cut_members(raw, ("profile_vector",))
    assert orjson.loads(cut.data) == {"meta": {"profile_vector": [1]}, "n": 2}
    assert cut.complete


def test_text_that_looks_like_a_member_is_kept() -> None:
    raw = b'{"bio": "x\\", \\"profile_vector\\": [1], \\"", "profile_vector": [2, 3]}'
    cut = cut_members(raw, ("profile_vector",))
    assert orjson.loads(cut.data) == {"bio": 'x", "profile_vector": [1], "'}
    assert cut.complete


def test_brackets_and_names_inside_unescaped_strings_are_text() -> None:
    raw = b'{"bio": "[{ \'profile_vector\' ", "t": ["]", "profile_vector"], "profile_vector": [2]}'
    cut = cut_members(raw, ("profile_vector",))
    assert orjson.loads(cut.data) == {"bio": "[{ 'profile_vector' ", "t": ["]", "profile_vector"]}
    assert cut.complete


def test_an_escaped_name_is_left_for_the_filter() -> None:
    raw = b'{"profile\\u005fvector": [1], "graph_vector": [2], "n": 1}'
    cut = cut_members(raw, ("profile_vector", "graph_vector"))
    assert orjson.loads(cut.data) == {"profile_vector": [1], "n": 1}
    assert not cut.complete


def test_flat_members_of_any_kind_are_cut_in_every_position() -> None:
    raw = b'{"a": "s]", "b": {"c": "}", "d": 1}, "e": null, "f": [1, "x"], "g": -2.5e3}'
    for name in "abefg":
        cut = cut_members(raw, (name,))
        expected = {k: v for k, v in orjson.loads(raw).items() if k != name}
        assert orjson.loads(cut.data) == expected
        assert cut.complete
    assert orjson.loads(cut_members(raw, tuple("abefg")).data) == {}


def test_a_nested_member_is_left_for_the_filter() -> None:
    raw = b'{"b": {"c": [1, {"d": "]"}]}, "n": 1}'
    cut = cut_members(raw, ("b",))
    assert orjson.loads(cut.data) == orjson.loads(raw)
    assert not cut.complete


def test_search_sources_with_excludes_and_fields(memory_client: OpenSearch) -> None:
    """Excluded vectors are gone, a wildcard exclude still reaches nested members, and the
    ``fields`` option still reads an excluded field from the whole source."""
    body = {"mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 2}}}}
    memory_client.indices.create(index="people", body=body)
    doc = {"v": [0.25, 0.5], "name": "Ada", "meta": {"v": [1, 2], "w": 1}, "tags": ["x"]}
    memory_client.index(index="people", id="1", body=doc, refresh=True)

    def source(spec: Any, **extra: Any) -> dict[str, Any]:
        request = {"query": {"match_all": {}}, "_source": spec, **extra}
        return memory_client.search(index="people", body=request)["hits"]["hits"][0]

    assert source({"excludes": ["v", "tags"]})["_source"] == {
        "name": "Ada",
        "meta": {"v": [1, 2], "w": 1},
    }
    assert source({"excludes": ["*v"]})["_source"] == {
        "name": "Ada",
        "meta": {"w": 1},
        "tags": ["x"],
    }
    assert source({"includes": ["v", "name"], "excludes": ["v"]})["_source"] == {"name": "Ada"}
    hit = source({"excludes": ["v", "tags"]}, fields=["tags"])
    assert set(hit["_source"]) == {"name", "meta"}
    assert hit["fields"]["tags"] == ["x"]
