"""Result shaping: paging, sorting, search_after, totals, _source, fields, explain."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy import OpenSearch, RequestError

MAPPINGS = {
    "properties": {
        "name": {"type": "keyword"},
        "age": {"type": "integer"},
        "rating": {"type": "float"},
        "born": {"type": "date", "format": "yyyy-MM-dd"},
        "tags": {"type": "keyword"},
        "loc": {"type": "geo_point"},
        "bio": {"type": "text"},
    }
}
DOCS = {
    "a": {
        "name": "ann",
        "age": 30,
        "rating": 4.5,
        "born": "1994-02-01",
        "tags": ["x", "y"],
        "loc": "37.77,-122.41",
        "bio": "coffee and code",
    },
    "b": {
        "name": "bea",
        "age": 25,
        "rating": 3.25,
        "born": "1999-07-15",
        "tags": ["y"],
        "loc": "37.80,-122.27",
        "bio": "coffee",
    },
    "c": {
        "name": "cid",
        "age": 30,
        "born": "1994-12-24",
        "tags": ["z", "x"],
        "bio": "code code code",
    },
    "d": {"name": "dot", "age": 41, "rating": 1.0, "loc": "37.33,-121.88", "bio": "tea"},
    "e": {"name": "eve", "rating": 2.0, "born": "2001-01-01", "bio": "coffee tea"},
}


@pytest.fixture
def people(make_index: Any) -> OpenSearch:
    return make_index("people", DOCS, MAPPINGS)


def hits(client: OpenSearch, body: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    return client.search(index="people", body=body, params=params or None)["hits"]["hits"]


def order(client: OpenSearch, body: dict[str, Any], **params: Any) -> list[str]:
    return [h["_id"] for h in hits(client, body, **params)]


def test_from_and_size_page_through_score_order(people: OpenSearch) -> None:
    everything = order(people, {"query": {"match": {"bio": "coffee code tea"}}, "size": 10})
    assert (
        order(people, {"query": {"match": {"bio": "coffee code tea"}}, "from": 1, "size": 2})
        == everything[1:3]
    )
    assert order(people, {"query": {"match_all": {}}}, size=0) == []


def test_result_window_limit(people: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        people.search(index="people", body={"from": 9995, "size": 10})
    assert "Result window is too large" in str(info.value.info)


def test_sort_by_field_with_missing_values_and_ties(people: OpenSearch) -> None:
    body = {"sort": [{"age": "desc"}, {"name": "asc"}]}
    found = hits(people, body)
    assert [h["_id"] for h in found] == ["d", "a", "c", "b", "e"]
    assert [h["sort"] for h in found] == [
        [41, "dot"],
        [30, "ann"],
        [30, "cid"],
        [25, "bea"],
        [-2147483648, "eve"],
    ]
    assert all(h["_score"] is None for h in found)
    first = hits(people, {"sort": [{"age": {"order": "asc", "missing": "_first"}}]})
    assert first[0]["_id"] == "e" and first[0]["sort"] == [-2147483648]
    custom = hits(people, {"sort": [{"age": {"order": "asc", "missing": 27}}]})
    assert [h["_id"] for h in custom] == ["b", "e", "a", "c", "d"]


def test_sort_on_floats_keywords_dates_and_doc(people: OpenSearch) -> None:
    found = hits(people, {"sort": [{"rating": "asc"}]})
    assert [h["sort"] for h in found] == [[1.0], [2.0], [3.25], [4.5], ["Infinity"]]
    by_tag = hits(people, {"sort": [{"tags": {"order": "desc"}}]})
    assert [(h["_id"], h["sort"]) for h in by_tag] == [
        ("c", ["z"]),
        ("a", ["y"]),
        ("b", ["y"]),
        ("d", [None]),
        ("e", [None]),
    ]
    by_min_tag = order(people, {"sort": [{"tags": {"order": "asc", "mode": "min"}}]})
    assert by_min_tag[:3] == ["a", "c", "b"]
    dates = hits(people, {"sort": [{"born": "asc"}], "size": 1})
    assert dates[0]["sort"] == [760060800000]
    assert order(people, {"sort": ["_doc"]}) == ["a", "b", "c", "d", "e"]


def test_sort_by_score_then_field_keeps_scores(people: OpenSearch) -> None:
    body = {"query": {"match": {"bio": "coffee"}}, "sort": ["_score", {"name": "desc"}]}
    result = people.search(index="people", body=body)
    top = result["hits"]["hits"][0]
    assert top["_score"] == top["sort"][0]
    assert result["hits"]["max_score"] == top["_score"]


def test_max_score_is_null_for_field_sorts_unless_tracked(people: OpenSearch) -> None:
    body: dict[str, Any] = {"query": {"match": {"bio": "coffee"}}, "sort": [{"age": "asc"}]}
    assert people.search(index="people", body=body)["hits"]["max_score"] is None
    tracked = people.search(index="people", body={**body, "track_scores": True})
    assert tracked["hits"]["max_score"] is not None
    assert all(h["_score"] is not None for h in tracked["hits"]["hits"])


def test_geo_distance_sort_reports_distances(people: OpenSearch) -> None:
    body = {
        "sort": [
            {"_geo_distance": {"loc": {"lat": 37.77, "lon": -122.41}, "order": "asc", "unit": "km"}}
        ]
    }
    found = hits(people, body)
    assert [h["_id"] for h in found][:3] == ["a", "b", "d"]
    assert found[0]["sort"][0] == pytest.approx(0.0, abs=1e-3)
    assert found[1]["sort"][0] == pytest.approx(12.7, abs=0.2)
    assert found[-1]["sort"] == ["Infinity"]


def test_sort_errors_name_the_problem(people: OpenSearch) -> None:
    with pytest.raises(RequestError) as text:
        people.search(index="people", body={"sort": [{"bio": "asc"}]})
    assert "Text fields are not optimised" in str(text.value.info)
    with pytest.raises(RequestError) as unmapped:
        people.search(index="people", body={"sort": [{"nope": "asc"}]})
    assert "No mapping found for [nope]" in str(unmapped.value.info)
    assert len(hits(people, {"sort": [{"nope": {"order": "asc", "unmapped_type": "long"}}]})) == 5


def test_search_after_continues_a_sorted_walk(people: OpenSearch) -> None:
    body: dict[str, Any] = {"size": 2, "sort": [{"age": "desc"}, {"name": "asc"}]}
    seen: list[str] = []
    after = None
    while True:
        page = hits(people, {**body, **({"search_after": after} if after else {})})
        if not page:
            break
        seen += [h["_id"] for h in page]
        after = page[-1]["sort"]
    assert seen == ["d", "a", "c", "b", "e"]


def test_search_after_with_dates_as_text_and_null_keywords(people: OpenSearch) -> None:
    assert order(people, {"sort": [{"born": "asc"}], "search_after": ["1994-12-24"]}) == [
        "b",
        "e",
        "d",
    ]
    walk = order(
        people, {"sort": [{"tags": "desc"}, {"name": "desc"}], "search_after": [None, "eve"]}
    )
    assert walk == ["d"]


def test_search_after_validation(people: OpenSearch) -> None:
    with pytest.raises(RequestError) as count:
        people.search(index="people", body={"sort": [{"age": "asc"}], "search_after": [1, 2]})
    assert "search_after has 2 value(s) but sort has 1." in str(count.value.info)
    with pytest.raises(RequestError):
        people.search(
            index="people", body={"sort": [{"age": "asc"}], "search_after": [1], "from": 3}
        )


def test_track_total_hits_forms(people: OpenSearch) -> None:
    def total(**kw: Any) -> Any:
        return people.search(index="people", body={"query": {"match_all": {}}, **kw})["hits"].get(
            "total"
        )

    assert total() == {"value": 5, "relation": "eq"}
    assert total(track_total_hits=3) == {"value": 3, "relation": "gte"}
    assert total(track_total_hits=False) is None
    assert total(track_total_hits=True) == {"value": 5, "relation": "eq"}


def test_source_filtering_and_stored_fields(people: OpenSearch) -> None:
    assert hits(people, {"_source": ["name", "ag*"], "size": 1})[0]["_source"] == {
        "name": "ann",
        "age": 30,
    }
    assert hits(people, {"_source": {"excludes": ["bio", "tags", "loc"]}, "size": 1})[0][
        "_source"
    ] == {"name": "ann", "age": 30, "rating": 4.5, "born": "1994-02-01"}
    assert "_source" not in hits(people, {"_source": False, "size": 1})[0]
    assert "_source" not in hits(people, {"stored_fields": ["name"], "size": 1})[0]


def test_docvalue_fields_and_fields(people: OpenSearch) -> None:
    body = {
        "size": 1,
        "_source": False,
        "docvalue_fields": [
            "age",
            "tags",
            {"field": "born", "format": "yyyy"},
            {"field": "rating", "format": "#.00"},
        ],
        "fields": ["name", "born", "loc"],
    }
    fields = hits(people, body)[0]["fields"]
    assert fields["age"] == [30]
    assert fields["tags"] == ["x", "y"]
    assert fields["born"] == ["1994-02-01"]  # ``fields`` wins: formatted with the mapping's format
    assert fields["rating"] == ["4.50"]
    assert fields["name"] == ["ann"]
    assert fields["loc"] == [{"type": "Point", "coordinates": [-122.41, 37.77]}]
    with pytest.raises(RequestError):
        people.search(index="people", body={"docvalue_fields": ["bio"]})


def test_min_score_post_filter_and_terminate_after(people: OpenSearch) -> None:
    scored = hits(people, {"query": {"match": {"bio": "coffee"}}})
    threshold = scored[1]["_score"]
    assert order(people, {"query": {"match": {"bio": "coffee"}}, "min_score": threshold}) == [
        h["_id"] for h in scored[:2]
    ]
    body = {
        "query": {"match_all": {}},
        "post_filter": {"term": {"tags": "x"}},
        "aggs": {"n": {"value_count": {"field": "name"}}},
    }
    result = people.search(index="people", body=body)
    assert result["hits"]["total"]["value"] == 2
    assert (
        result["aggregations"]["n"]["value"] == 5
    )  # aggregations see the query, not the post_filter
    stopped = people.search(index="people", body={"terminate_after": 2, "timeout": "1s"})
    assert stopped["terminated_early"] is True and stopped["hits"]["total"]["value"] == 2


def test_version_seq_no_and_explain_in_hits(people: OpenSearch) -> None:
    hit = hits(
        people,
        {
            "query": {"term": {"name": "ann"}},
            "version": True,
            "seq_no_primary_term": True,
            "explain": True,
        },
    )[0]
    assert hit["_version"] == 1 and hit["_seq_no"] == 0 and hit["_primary_term"] == 1
    assert hit["_explanation"]["value"] == hit["_score"]
    assert hit["_explanation"]["description"] == "ConstantScore(name:ann)"


def test_profile_and_unknown_keys_are_refused(people: OpenSearch) -> None:
    with pytest.raises(RequestError) as profile:
        people.search(index="people", body={"profile": True})
    assert "profile" in str(profile.value.info)
    with pytest.raises(RequestError) as highlight:
        people.search(index="people", body={"highlight": {"fields": {"bio": {}}}})
    assert "highlight" in str(highlight.value.info)


def test_indices_boost_and_sorted_merge_across_indices(people: OpenSearch) -> None:
    people.index(
        index="others", id="z", body={"name": "zed", "age": 33, "bio": "coffee"}, refresh=True
    )
    merged = people.search(index="people,others", body={"sort": [{"age": "desc"}], "size": 3})
    assert [(h["_index"], h["_id"]) for h in merged["hits"]["hits"]] == [
        ("people", "d"),
        ("others", "z"),
        ("people", "a"),
    ]
    boosted = people.search(
        index="people,others",
        body={"query": {"match": {"bio": "coffee"}}, "indices_boost": [{"others": 100}]},
    )
    assert boosted["hits"]["hits"][0]["_index"] == "others"


def test_filtered_alias_applies_its_filter(people: OpenSearch) -> None:
    people.indices.put_alias(index="people", name="thirty", body={"filter": {"term": {"age": 30}}})
    assert sorted(h["_id"] for h in people.search(index="thirty")["hits"]["hits"]) == ["a", "c"]
    assert people.count(index="thirty")["count"] == 2
    assert people.search(index="people,thirty")["hits"]["total"]["value"] == 5


def test_a_failing_index_is_reported_while_others_answer(people: OpenSearch) -> None:
    people.index(index="nosort", id="x", body={"other": 1}, refresh=True)
    result = people.search(index="people,nosort", body={"sort": [{"age": "asc"}], "size": 1})
    assert result["_shards"]["total"] == 2 and result["_shards"]["failed"] == 1
    assert result["_shards"]["failures"][0]["index"] == "nosort"
    assert result["hits"]["hits"][0]["_id"] == "b"
    with pytest.raises(RequestError):
        people.search(
            index="people,nosort",
            body={"sort": [{"age": "asc"}]},
            params={"allow_partial_search_results": "false"},
        )


def test_sort_and_search_after_on_id(people: OpenSearch) -> None:
    found = hits(people, {"sort": [{"_id": "desc"}], "size": 2})
    assert [h["sort"] for h in found] == [["e"], ["d"]]
    assert order(people, {"sort": [{"_id": "desc"}], "search_after": ["d"]}) == ["c", "b", "a"]
    assert order(people, {"sort": ["_id"], "search_after": ["bb"]}) == ["c", "d", "e"]


def test_geo_distance_sort_plane_is_close_to_arc(people: OpenSearch) -> None:
    origin = {"lat": 37.77, "lon": -122.41}
    arc = hits(people, {"sort": [{"_geo_distance": {"loc": origin, "unit": "km"}}]})
    plane = hits(
        people,
        {"sort": [{"_geo_distance": {"loc": origin, "unit": "km", "distance_type": "plane"}}]},
    )
    assert [h["_id"] for h in arc] == [h["_id"] for h in plane]
    assert plane[2]["sort"][0] == pytest.approx(arc[2]["sort"][0], rel=1e-3)
    assert plane[2]["sort"][0] != arc[2]["sort"][0]
