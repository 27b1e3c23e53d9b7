"""Prepared feature queries are reused only for the same inputs their template reads."""

from __future__ import annotations

from typing import Any

import pytest
from ltr_rest import Rest
from opensearchpy import OpenSearch, TransportError

from mutuo.engine import mustache
from mutuo.engine.ltr.elements import StoredFeature, StoredFeatureSet
from mutuo.engine.ltr.features import (
    PREPARED_PER_FEATURE,
    CompiledFeatureSet,
    ParamKeys,
    TemplateFeature,
    compile_featureset,
)


def template_feature(template: Any) -> tuple[TemplateFeature, CompiledFeatureSet]:
    feature_set = compile_featureset(
        StoredFeatureSet("s", [StoredFeature("f", [], "mustache", template)])
    )
    feature = feature_set.features[0]
    assert isinstance(feature, TemplateFeature)
    return feature, feature_set


@pytest.mark.parametrize(
    ("template", "names"),
    [
        ("plain", set()),
        ('{"match": {"t": "{{q}}"}}', {"q"}),
        ('{"v": {{#toJson}}vec{{/toJson}}, "w": "{{a.0}}"}', {"vec", "a"}),
        ("{{#join}}list{{/join}}{{#url}}{{u}}{{/url}}", {"list", "u"}),
        (
            "{{#items}}{{name}}{{/items}}{{^none}}x{{/none}}{{{raw}}}",
            {"items", "name", "none", "raw"},
        ),
    ],
)
def test_referenced_names_cover_variables_sections_and_function_arguments(
    template: str, names: set[str]
) -> None:
    assert mustache.referenced_names(mustache.parse(template)) == names


def test_a_template_is_parsed_again_only_when_a_value_it_reads_changes() -> None:
    feature, features = template_feature({"match": {"title": "{{q}}"}})
    first = feature.prepare({"q": "rambo", "unused": 1}, features)
    assert feature.prepare({"q": "rambo", "unused": 2}, features) is first
    assert feature.prepare({"q": "rocky"}, features) is not first
    assert feature.prepare({"q": None}, features) is not feature.prepare({}, features)
    for i in range(PREPARED_PER_FEATURE):
        feature.prepare({"q": f"w{i}"}, features)
    assert feature.prepare({"q": "rambo"}, features) is not first  # evicted, parsed anew


def test_numbers_that_render_differently_are_different_inputs() -> None:
    feature, features = template_feature('{"term": {"n": "{{x}}"}}')
    assert feature.prepare({"x": 1}, features) is not feature.prepare({"x": 1.0}, features)


def test_param_keys_tell_apart_what_templates_read_and_refuse_what_json_cannot_hold() -> None:
    keys = ParamKeys({"a": 1, "b": None, "v": [0.5, 1.0], "big": 2**70})
    assert keys.key(["a", "v"]) == ParamKeys({"a": 1, "v": [0.5, 1.0], "x": 3}).key(["a", "v"])
    assert keys.key(["b"]) != keys.key(["missing"])  # null is not absent
    assert keys.key(["a", "b"]) != keys.key(["b", "a"])
    assert keys.key(["a"]) != ParamKeys({"a": 1.0}).key(["a"])
    assert keys.key(["a", "big"]) is None


def test_templates_of_one_set_reuse_their_queries_through_the_sets_shared_keys() -> None:
    features = compile_featureset(
        StoredFeatureSet(
            "s",
            [
                StoredFeature("f", ["q"], "mustache", {"match": {"title": "{{q}}"}}),
                StoredFeature("g", ["q", "n"], "mustache", {"term": {"n": "{{n}}{{q}}"}}),
            ],
        )
    )
    first = features.prepare({"q": "rambo", "n": 1})
    again = features.prepare({"q": "rambo", "n": 1, "other": True})
    changed = features.prepare({"q": "rambo", "n": 2})
    assert again[0] is first[0] and again[1] is first[1]
    assert changed[0] is first[0] and changed[1] is not first[1]


def test_sltr_scores_follow_each_requests_params(memory_client: OpenSearch, rest: Rest) -> None:
    memory_client.index(index="docs", id="1", body={"title": "rambo"}, refresh=True)
    memory_client.index(index="docs", id="2", body={"title": "rocky"}, refresh=True)
    rest("PUT", "/_ltr")
    features = [{"name": "t", "params": ["q"], "template": {"match": {"title": "{{q}}"}}}]
    rest("PUT", "/_ltr/_featureset/s", {"featureset": {"features": features}})

    def top(q: str) -> str:
        body = {"query": {"sltr": {"featureset": "s", "params": {"q": q}}}}
        hits = memory_client.search(index="docs", body=body)["hits"]["hits"]
        return str(hits[0]["_id"])

    assert [top("rambo"), top("rocky"), top("rambo")] == ["1", "2", "1"]


def test_an_updated_cleared_or_deleted_featureset_never_reuses_its_old_templates(
    memory_client: OpenSearch, rest: Rest
) -> None:
    memory_client.index(index="docs", id="1", body={"title": "rambo", "tag": "rocky"})
    memory_client.index(index="docs", id="2", body={"title": "rocky", "tag": "rambo"})
    memory_client.indices.refresh(index="docs")
    rest("PUT", "/_ltr")

    def put(field: str) -> None:
        template = {"match": {field: "{{q}}"}}  # a shaped template: parsed once, filled
        features = [{"name": "t", "params": ["q"], "template": template}]
        status, _body = rest("POST", "/_ltr/_featureset/s", {"featureset": {"features": features}})
        assert status in (200, 201)

    def top(q: str) -> str:
        body = {"query": {"sltr": {"featureset": "s", "params": {"q": q}}}}
        hits = memory_client.search(index="docs", body=body)["hits"]["hits"]
        return str(hits[0]["_id"])

    put("title")
    assert [top("rambo"), top("rocky")] == ["1", "2"]
    put("tag")  # an update evicts the compiled set with its shapes
    assert [top("rambo"), top("rocky")] == ["2", "1"]
    put("title")
    assert top("rambo") == "1"
    assert rest("POST", "/_ltr/_clearcache")[0] == 200
    assert [top("rambo"), top("rocky")] == ["1", "2"]
    assert rest("DELETE", "/_ltr/_featureset/s")[0] == 200
    with pytest.raises(TransportError, match="Unknown featureset"):
        top("rambo")
