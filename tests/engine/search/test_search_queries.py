"""One behaviour per query type, on a small corpus of people (real embedded engine)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch, RequestError

from mutuo.engine.explanation import java_float

MAPPINGS = {
    "properties": {
        "name": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "tags": {"type": "keyword"},
        "age": {"type": "integer"},
        "score": {"type": "float"},
        "born": {"type": "date"},
        "loc": {"type": "geo_point"},
        "active": {"type": "boolean"},
        "bio": {"type": "text"},
        "need": {"type": "long"},
    }
}
PEOPLE = [
    {
        "name": "Alice Smith",
        "tags": ["a", "b"],
        "age": 30,
        "score": 1.5,
        "born": "1990-01-05",
        "loc": {"lat": 37.77, "lon": -122.41},
        "active": True,
        "bio": "loves hiking and climbing",
        "need": 1,
    },
    {
        "name": "Bob Stone",
        "tags": ["b"],
        "age": 25,
        "score": 2.5,
        "born": "1995-06-01",
        "loc": {"lat": 37.80, "lon": -122.27},
        "active": False,
        "bio": "hiking every weekend in the hills",
        "need": 2,
    },
    {
        "name": "Carol Smith",
        "tags": ["c", "a"],
        "age": 41,
        "born": "1980-03-03",
        "loc": [-121.88, 37.33],
        "active": True,
        "bio": "climbing and coffee",
        "need": 2,
    },
    {"name": "Dan", "age": 19, "score": 0.5, "born": "2004-12-31", "bio": "coffee coffee coffee"},
]


@pytest.fixture
def people(make_index: Any) -> OpenSearch:
    return make_index("people", PEOPLE, MAPPINGS)


def exact(score: float) -> np.float64:
    """The float32 a printed score stands for, widened to double (as Lucene sums)."""
    return np.float64(np.float32(score))


def search(client: OpenSearch, query: dict[str, Any], **body: Any) -> list[tuple[str, float]]:
    result = client.search(index="people", body={"query": query, **body})
    return [(h["_id"], h["_score"]) for h in result["hits"]["hits"]]


def ids(client: OpenSearch, query: dict[str, Any]) -> list[str]:
    return sorted(i for i, _s in search(client, query))


def scores(client: OpenSearch, query: dict[str, Any]) -> dict[str, float]:
    return dict(search(client, query))


# -- leaves ------------------------------------------------------------------------------


def test_unknown_query_is_a_parsing_exception_naming_it(people: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        people.search(index="people", body={"query": {"fuzzy_thing": {}}})
    assert info.value.error == "parsing_exception"
    assert "unknown query [fuzzy_thing]" in str(info.value.info)


def test_match_all_and_match_none(people: OpenSearch) -> None:
    assert scores(people, {"match_all": {"boost": 2}}) == {"1": 2.0, "2": 2.0, "3": 2.0, "4": 2.0}
    assert search(people, {"match_none": {}}) == []


def test_term_on_keyword_text_numeric_and_boolean(people: OpenSearch) -> None:
    assert ids(people, {"term": {"tags": "a"}}) == ["1", "3"]
    assert ids(people, {"term": {"name": "smith"}}) == ["1", "3"]  # analysed terms of a text field
    assert ids(people, {"term": {"name": "Smith"}}) == []  # term queries are not analysed
    assert ids(people, {"term": {"age": "30"}}) == ["1"]
    assert ids(people, {"term": {"active": False}}) == ["2"]
    assert ids(
        people, {"term": {"name.keyword": {"value": "alice smith", "case_insensitive": True}}}
    ) == ["1"]


def test_terms_matches_any_value_with_a_constant_score(people: OpenSearch) -> None:
    assert scores(people, {"terms": {"tags": ["c", "b", "zzz"], "boost": 1.5}}) == {
        "1": 1.5,
        "2": 1.5,
        "3": 1.5,
    }


def test_terms_lookup_reads_values_from_another_document(people: OpenSearch) -> None:
    people.index(index="seen", id="viewer", body={"seen": {"ids": ["a", "c"]}}, refresh=True)
    lookup = {"terms": {"tags": {"index": "seen", "id": "viewer", "path": "seen.ids"}}}
    assert ids(people, lookup) == ["1", "3"]
    missing = {"terms": {"tags": {"index": "seen", "id": "nobody", "path": "seen.ids"}}}
    assert ids(people, missing) == []
    excluded = {"bool": {"must_not": [lookup]}}
    assert ids(people, excluded) == ["2", "4"]


def test_terms_on_ids_matches_the_listed_documents_that_exist(people: OpenSearch) -> None:
    assert ids(people, {"terms": {"_id": ["3", "nope", 1, "3"]}}) == ["1", "3"]
    people.index(index="seen", id="viewer", body={"seen": ["2", "404", "4"]}, refresh=True)
    lookup = {"terms": {"_id": {"index": "seen", "id": "viewer", "path": "seen"}}}
    assert ids(people, {"bool": {"must_not": [lookup]}}) == ["1", "3"]
    people.delete(index="people", id="4", refresh=True)
    assert ids(people, lookup) == ["2"]


def test_range_on_numbers_rounds_integer_bounds_inwards(people: OpenSearch) -> None:
    assert ids(people, {"range": {"age": {"gt": 25, "lte": 41}}}) == ["1", "3"]
    assert ids(people, {"range": {"age": {"gt": 24.5, "lt": 30.5}}}) == ["1", "2"]
    assert ids(people, {"range": {"score": {"gte": 1.5}}}) == ["1", "2"]
    assert ids(people, {"range": {"score": {"gt": 1.5}}}) == ["2"]


def test_range_on_dates_with_math_and_format(people: OpenSearch) -> None:
    assert ids(people, {"range": {"born": {"gte": "1990||-1y", "lt": "now"}}}) == ["1", "2", "4"]
    assert ids(people, {"range": {"born": {"gte": "05/01/1990", "format": "dd/MM/yyyy"}}}) == [
        "1",
        "2",
        "4",
    ]
    # lte rounds up: the whole day of 1980-03-03 is included
    assert ids(people, {"range": {"born": {"lte": "1980-03-03||/d"}}}) == ["3"]
    assert ids(people, {"range": {"born": {"lt": "1980-03-03||/d"}}}) == []


def test_range_on_keywords_compares_terms(people: OpenSearch) -> None:
    assert ids(people, {"range": {"tags": {"gte": "b"}}}) == ["1", "2", "3"]
    assert ids(people, {"range": {"tags": {"gt": "b", "lte": "c"}}}) == ["3"]


def test_exists_ids_prefix_and_wildcard(people: OpenSearch) -> None:
    assert ids(people, {"exists": {"field": "score"}}) == ["1", "2", "4"]
    assert ids(people, {"exists": {"field": "loc"}}) == ["1", "2", "3"]
    assert ids(people, {"ids": {"values": ["2", "4", "404"]}}) == ["2", "4"]
    assert ids(people, {"prefix": {"name.keyword": "Al"}}) == ["1"]
    assert ids(people, {"prefix": {"bio": {"value": "CLIMB", "case_insensitive": True}}}) == [
        "1",
        "3",
    ]
    assert ids(people, {"wildcard": {"name.keyword": "*Smith"}}) == ["1", "3"]
    assert ids(people, {"wildcard": {"name.keyword": {"value": "?ob*"}}}) == ["2"]


def test_prefix_and_wildcard_expand_over_the_ids_and_the_index_name(
    make_index: Any,
) -> None:
    client = make_index("people", {"m001": {}, "m002": {}, "x001": {}, "M003": {}})
    client.delete(index="people", id="m002", refresh=True)
    assert ids(client, {"prefix": {"_id": "m"}}) == ["m001"]
    assert ids(client, {"prefix": {"_id": {"value": "m", "case_insensitive": True}}}) == [
        "M003",
        "m001",
    ]
    assert ids(client, {"wildcard": {"_id": "*001"}}) == ["m001", "x001"]
    assert ids(client, {"wildcard": {"_index": "peo*"}}) == ["M003", "m001", "x001"]
    assert ids(client, {"prefix": {"_index": "other"}}) == []


def test_match_operator_and_minimum_should_match(people: OpenSearch) -> None:
    assert ids(people, {"match": {"bio": "climbing coffee"}}) == ["1", "3", "4"]
    assert ids(people, {"match": {"bio": {"query": "climbing coffee", "operator": "and"}}}) == ["3"]
    assert ids(
        people, {"match": {"bio": {"query": "climbing coffee hiking", "minimum_should_match": "2"}}}
    ) == ["1", "3"]
    assert ids(
        people,
        {"match": {"bio": {"query": "climbing coffee hiking", "minimum_should_match": "-2"}}},
    ) == ["1", "2", "3", "4"]


def test_match_zero_terms_and_fuzziness(people: OpenSearch) -> None:
    assert ids(people, {"match": {"bio": {"query": "!!!", "zero_terms_query": "all"}}}) == [
        "1",
        "2",
        "3",
        "4",
    ]
    assert ids(people, {"match": {"bio": "!!!"}}) == []
    with pytest.raises(RequestError) as info:
        people.search(
            index="people",
            body={"query": {"match": {"bio": {"query": "cofee", "fuzziness": "AUTO"}}}},
        )
    assert "fuzziness" in str(info.value.info)


def test_match_phrase_needs_consecutive_positions(people: OpenSearch) -> None:
    assert ids(people, {"match_phrase": {"bio": "hiking and"}}) == ["1"]
    assert ids(people, {"match_phrase": {"bio": "and hiking"}}) == []
    found = scores(people, {"match_phrase": {"bio": "coffee coffee"}})
    assert list(found) == ["4"]  # "coffee coffee coffee" holds the phrase twice
    with pytest.raises(RequestError):
        people.search(
            index="people", body={"query": {"match_phrase": {"bio": {"query": "a b", "slop": 2}}}}
        )


def test_multi_match_best_and_most_fields(people: OpenSearch) -> None:
    name = scores(people, {"match": {"name": {"query": "smith hiking", "boost": 2}}})
    bio = scores(people, {"match": {"bio": "smith hiking"}})
    best = scores(people, {"multi_match": {"query": "smith hiking", "fields": ["name^2", "bio"]}})
    for doc in best:
        assert best[doc] == max(name.get(doc, 0), bio.get(doc, 0))
    tie = scores(
        people,
        {"multi_match": {"query": "smith hiking", "fields": ["name^2", "bio"], "tie_breaker": 0.5}},
    )
    high, low = max(name["1"], bio["1"]), min(name["1"], bio["1"])
    assert tie["1"] == java_float(exact(high) + exact(low) * exact(0.5))
    most = scores(
        people,
        {
            "multi_match": {
                "query": "smith hiking",
                "fields": ["name", "bio"],
                "type": "most_fields",
            }
        },
    )
    plain_name = scores(people, {"match": {"name": "smith hiking"}})
    assert most["1"] == java_float(exact(plain_name["1"]) + exact(bio["1"]))


def test_multi_match_refuses_cross_fields(people: OpenSearch) -> None:
    with pytest.raises(RequestError):
        people.search(
            index="people",
            body={
                "query": {"multi_match": {"query": "x", "type": "cross_fields", "fields": ["bio"]}}
            },
        )


def test_geo_distance_and_bounding_box(people: OpenSearch) -> None:
    assert ids(
        people, {"geo_distance": {"distance": "20km", "loc": {"lat": 37.78, "lon": -122.40}}}
    ) == ["1", "2"]
    assert ids(people, {"geo_distance": {"distance": "100km", "loc": "37.78,-122.40"}}) == [
        "1",
        "2",
        "3",
    ]
    assert ids(people, {"geo_distance": {"distance": 1000, "loc": [-122.41, 37.77]}}) == ["1"]
    box = {
        "geo_bounding_box": {
            "loc": {
                "top_left": {"lat": 38, "lon": -123},
                "bottom_right": {"lat": 37.5, "lon": -122},
            }
        }
    }
    assert ids(people, box) == ["1", "2"]
    wkt = {"geo_bounding_box": {"loc": {"wkt": "BBOX (-123, -121, 38, 37)"}}}
    assert ids(people, wkt) == ["1", "2", "3"]


def test_terms_set_reads_the_required_count_per_document(people: OpenSearch) -> None:
    query = {
        "terms_set": {"tags": {"terms": ["a", "b", "c"], "minimum_should_match_field": "need"}}
    }
    assert scores(people, query) == {"1": 2.0, "3": 2.0}


# -- compound ----------------------------------------------------------------------------


def test_bool_clauses_and_filter_never_scores(people: OpenSearch) -> None:
    must = scores(people, {"bool": {"must": [{"match": {"bio": "coffee"}}]}})
    filtered = scores(
        people,
        {"bool": {"must": [{"match": {"bio": "coffee"}}], "filter": [{"term": {"tags": "c"}}]}},
    )
    assert filtered == {"3": must["3"]}
    assert scores(people, {"bool": {"filter": [{"term": {"tags": "a"}}]}}) == {"1": 0.0, "3": 0.0}
    assert ids(people, {"bool": {"must_not": [{"term": {"tags": "a"}}]}}) == ["2", "4"]
    assert scores(people, {"bool": {}}) == {"1": 1.0, "2": 1.0, "3": 1.0, "4": 1.0}


def test_bool_should_minimum_should_match_defaults(people: OpenSearch) -> None:
    should = [{"term": {"tags": "a"}}, {"term": {"tags": "b"}}, {"term": {"tags": "c"}}]
    assert ids(people, {"bool": {"should": should}}) == ["1", "2", "3"]
    assert ids(people, {"bool": {"should": should, "minimum_should_match": 2}}) == ["1", "3"]
    assert ids(people, {"bool": {"should": should, "minimum_should_match": "67%"}}) == ["1", "3"]
    # with a filter, should clauses are optional (they only add to the score)
    assert ids(people, {"bool": {"filter": [{"exists": {"field": "age"}}], "should": should}}) == [
        "1",
        "2",
        "3",
        "4",
    ]


def test_bool_sums_must_and_should_scores(people: OpenSearch) -> None:
    a = scores(people, {"match": {"bio": "climbing"}})
    b = scores(people, {"match": {"name": "smith"}})
    both = scores(
        people,
        {
            "bool": {
                "must": [{"match": {"bio": "climbing"}}],
                "should": [{"match": {"name": "smith"}}],
            }
        },
    )
    assert both["1"] == java_float(exact(a["1"]) + exact(b["1"]))


def test_constant_score_dis_max_and_boosting(people: OpenSearch) -> None:
    assert scores(
        people, {"constant_score": {"filter": {"term": {"tags": "a"}}, "boost": 1.2}}
    ) == {"1": 1.2, "3": 1.2}
    coffee = scores(people, {"match": {"bio": "coffee"}})
    smith = scores(people, {"match": {"name": "smith"}})
    dis = scores(
        people,
        {"dis_max": {"queries": [{"match": {"bio": "coffee"}}, {"match": {"name": "smith"}}]}},
    )
    assert dis == {k: max(coffee.get(k, 0), smith.get(k, 0)) for k in set(coffee) | set(smith)}
    positive = scores(people, {"match": {"bio": "climbing"}})
    boosted = scores(
        people,
        {
            "boosting": {
                "positive": {"match": {"bio": "climbing"}},
                "negative": {"term": {"tags": "c"}},
                "negative_boost": 0.5,
            }
        },
    )
    assert boosted == {"1": positive["1"], "3": java_float(exact(positive["3"]) * 0.5)}


def test_named_queries_are_reported_per_hit(people: OpenSearch) -> None:
    body = {
        "query": {
            "bool": {
                "must": [{"match": {"bio": {"query": "coffee", "_name": "coffee"}}}],
                "should": [{"term": {"tags": {"value": "a", "_name": "tag-a"}}}],
            }
        }
    }
    hits = people.search(index="people", body=body)["hits"]["hits"]
    assert {h["_id"]: h["matched_queries"] for h in hits} == {
        "3": ["coffee", "tag-a"],
        "4": ["coffee"],
    }
    scored = people.search(
        index="people", body=body, params={"include_named_queries_score": "true"}
    )
    first = scored["hits"]["hits"][0]["matched_queries"]
    assert set(first) == {"coffee", "tag-a"} and first["tag-a"] == 1.0


def test_named_queries_inside_a_repeated_filter_are_still_reported(people: OpenSearch) -> None:
    body = {
        "query": {
            "bool": {
                "filter": [{"bool": {"should": [{"term": {"tags": {"value": "c", "_name": "c"}}}]}}]
            }
        }
    }
    for _ in range(3):  # the second and third runs could be served from the filter cache
        found = people.search(index="people", body=body)["hits"]["hits"]
        assert [h["matched_queries"] for h in found] == [["c"]]


def test_repeated_filters_give_the_same_answer_after_writes(people: OpenSearch) -> None:
    body = {
        "query": {"bool": {"filter": [{"term": {"tags": "a"}}, {"range": {"age": {"gte": 20}}}]}}
    }
    assert ids(people, body["query"]) == ["1", "3"]
    assert ids(people, body["query"]) == ["1", "3"]
    people.index(index="people", id="5", body={"tags": ["a"], "age": 50}, refresh=True)
    people.delete(index="people", id="1", refresh=True)
    assert ids(people, body["query"]) == ["3", "5"]


def test_terms_lookup_into_a_missing_index_is_index_not_found(people: OpenSearch) -> None:
    from opensearchpy import NotFoundError

    lookup = {"terms": {"tags": {"index": "nowhere", "id": "1", "path": "x"}}}
    with pytest.raises(NotFoundError) as info:
        people.search(index="people", body={"query": lookup})
    assert info.value.error == "index_not_found_exception"
