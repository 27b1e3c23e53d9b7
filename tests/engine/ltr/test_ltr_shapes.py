"""A template's shape filled with params is the body rendering and parsing would give."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuo.engine import codec
from mutuo.engine.errors import OpenSearchError
from mutuo.engine.ltr.elements import StoredFeature, StoredFeatureSet
from mutuo.engine.ltr.features import TemplateFeature, compile_featureset

SHAPED = [
    {"match": {"bio": "{{q}}"}},
    {"match": {"bio": {"query": "{{q}} and {{q}}", "boost": 2}}},
    {"function_score": {"gauss": {"loc": {"origin": "{{lat}},{{lon}}", "scale": "{{s}}"}}}},
    '{"script_score": {"query": {"match_all": {}}, "script": {"source": "knn_score", '
    '"lang": "knn", "params": {"field": "v", "query_value": {{#toJson}}vec{{/toJson}}, '
    '"space_type": "{{q}}"}}}}',
    '{"terms": {"tags": {{#toJson}}vec{{/toJson}}}, "x": [{{#toJson}}vec{{/toJson}}]}',
]
UNSHAPED = [
    '{"match": {"bio": "{{#q}}x{{/q}}"}}',  # a section
    '{"match": {"bio": "{{{q}}}"}}',  # unescaped
    '{"match": {"bio": "{{q.0}}"}}',  # dotted name
    '{"match": {"{{q}}": "x"}}',  # a key
    '{"size": {{lat}}, "match": {"bio": "x"}}',  # a number
    '{"terms": {"tags": {{#toJson}}vec{{/toJson}}}, "t": "{{vec}}"}',  # vector used as text
    '{"match": {"bio": "{{#join}}q{{/join}}"}}',  # a function
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ['say "hi"', "back\\slash", "tab\tnew\nline", "\u00e9t\u00e9 \u2603", "\ud800"]
    ),
    st.lists(st.floats(-1e6, 1e6), max_size=4),
    st.lists(st.integers(-5, 5), max_size=3),
    st.lists(st.text(max_size=3), max_size=2),
)


def feature(template: Any) -> TemplateFeature:
    stored = StoredFeatureSet("s", [StoredFeature("f", [], "mustache", template)])
    compiled = compile_featureset(stored).features[0]
    assert isinstance(compiled, TemplateFeature)
    return compiled


def rendered(f: TemplateFeature, params: dict[str, Any]) -> Any:
    try:
        return f.rendered_body(params)
    except (OpenSearchError, UnicodeEncodeError) as exc:  # a lone surrogate cannot be encoded
        return type(exc)


@pytest.mark.parametrize("template", SHAPED)
def test_templates_whose_params_only_fill_strings_or_whole_arrays_have_a_shape(
    template: Any,
) -> None:
    assert feature(template).shape is not None


@pytest.mark.parametrize("template", UNSHAPED)
def test_other_templates_render_per_request(template: str) -> None:
    assert feature(template).shape is None


@settings(max_examples=300, deadline=None)
@given(
    template=st.sampled_from(SHAPED),
    params=st.dictionaries(st.sampled_from(["q", "lat", "lon", "s", "vec", "other"]), VALUES),
)
def test_a_filled_shape_is_the_rendered_and_parsed_template(
    template: Any, params: dict[str, Any]
) -> None:
    f = feature(template)
    assert f.shape is not None
    filled = f.shape.fill(params)
    expected = rendered(f, params)
    if filled is None:  # these params render per request
        return
    assert codec.dumps(filled) == codec.dumps(expected)
    assert filled == expected


def test_a_vector_param_of_finite_numbers_and_plain_text_fill_the_shape() -> None:
    f = feature(SHAPED[3])
    assert f.shape is not None
    params = {"vec": [0.1, -2, 3.5e-8], "q": 'cos"ine'}
    assert f.shape.fill(params) == f.rendered_body(params)
    body = f.shape.fill(params)
    assert body["script_score"]["script"]["params"]["query_value"] is not params["vec"]
