"""A vector param rendered with ``toJson`` is put in the parsed body directly: the result
is the body the plain render-and-parse gives, number for number, and errors are its own."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuo.engine import codec, mustache
from mutuo.engine.errors import OpenSearchError
from mutuo.engine.ltr.elements import StoredFeature, StoredFeatureSet
from mutuo.engine.ltr.features import TemplateFeature, compile_featureset

TEMPLATES = [
    # the knn feature shape: the vector only there, at the top level
    '{"script_score": {"query": {"match_all": {}}, "script": {"source": "knn_score", '
    '"lang": "knn", "params": {"field": "v", "query_value": {{#toJson}}vec{{/toJson}}, '
    '"space_type": "cosinesimil"}}}}',
    '{"a": {{#toJson}}{{vec}}{{/toJson}}, "b": [{{#toJson}}vec{{/toJson}}, "{{q}}"]}',
    '{"a": {{#toJson}}vec{{/toJson}}, "b": {{#toJson}}other{{/toJson}}}',
    # read elsewhere too, or inside a section: rendered as text
    '{"a": {{#toJson}}vec{{/toJson}}, "first": "{{vec.0}}"}',
    '{"a": [{{#list}}{{#toJson}}vec{{/toJson}},{{/list}}0]}',
    # not valid JSON once rendered: the plain path's error
    '{"a": {{#toJson}}vec{{/toJson}}, "b": }',
]

NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(width=32, allow_nan=False, allow_infinity=False),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, 5e-324, 2**53 + 1]),
)
VALUES = st.one_of(
    st.lists(NUMBERS, max_size=12),
    st.lists(st.one_of(NUMBERS, st.booleans(), st.none(), st.text(max_size=3)), max_size=4),
    st.lists(st.sampled_from([float("nan"), float("inf"), 1.0]), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=3), NUMBERS, max_size=3),
    st.text(max_size=5),
    st.none(),
)


def feature(template: str) -> TemplateFeature:
    stored = StoredFeatureSet("s", [StoredFeature("f", [], "mustache", template)])
    compiled = compile_featureset(stored).features[0]
    assert isinstance(compiled, TemplateFeature)
    return compiled


def plain(compiled: TemplateFeature, params: dict[str, Any]) -> Any:
    return codec.loads(mustache.render(compiled.tree, params))


def outcome(call: Any) -> str:
    """The body, with the types and signs of its numbers, or the error's reason."""
    try:
        return repr(call())
    except OpenSearchError as exc:
        return f"error: {exc.reason}"


@settings(max_examples=300, deadline=None)
@given(
    template=st.sampled_from(TEMPLATES),
    vec=VALUES,
    other=VALUES,
    listed=st.lists(st.integers(0, 3), max_size=2),
    q=st.text(max_size=4),
)
def test_vector_params_give_the_body_the_plain_render_and_parse_gives(
    template: str, vec: Any, other: Any, listed: list[int], q: str
) -> None:
    compiled = feature(template)
    params = {"vec": vec, "other": other, "list": listed, "q": q}
    assert outcome(lambda: compiled._body(params)) == outcome(lambda: plain(compiled, params))


@pytest.mark.parametrize(
    ("template", "vectors"),
    [
        (TEMPLATES[0], {"vec": 1}),
        (TEMPLATES[1], {"vec": 2}),
        (TEMPLATES[2], {"vec": 1, "other": 1}),
        (TEMPLATES[3], {}),
        (TEMPLATES[4], {}),
    ],
)
def test_only_params_read_nowhere_but_a_top_level_tojson_go_around_the_text(
    template: str, vectors: dict[str, int]
) -> None:
    assert feature(template).vectors == vectors


def test_the_substituted_vector_is_a_copy_of_the_param() -> None:
    compiled = feature(TEMPLATES[0])
    vec = [0.5, -0.25, 3]
    body = compiled._body({"vec": vec})
    value = body["script_score"]["script"]["params"]["query_value"]
    assert value == vec and value is not vec
