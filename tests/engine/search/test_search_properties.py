"""Properties of the query algebra and of BM25, checked on generated corpora.

* ``must_not: X`` matches exactly the complement of X;
* adding a ``filter`` never changes a matching document's score;
* BM25 grows with term frequency and does not grow with field length.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opensearchpy import OpenSearch

import mutuo

WORDS = ["ant", "bee", "cat", "dog", "eel"]
TAGS = ["red", "green", "blue"]

documents = st.lists(
    st.fixed_dictionaries(
        {
            "text": st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join),
            "tag": st.sampled_from(TAGS),
            "n": st.integers(min_value=0, max_value=20),
        }
    ),
    min_size=1,
    max_size=25,
)
leaf_queries = st.one_of(
    st.builds(lambda w: {"match": {"text": w}}, st.sampled_from(WORDS)),
    st.builds(lambda t: {"term": {"tag": t}}, st.sampled_from(TAGS)),
    st.builds(
        lambda lo, hi: {"range": {"n": {"gte": lo, "lte": hi}}},
        st.integers(0, 20),
        st.integers(0, 20),
    ),
    st.builds(
        lambda ws: {"match": {"text": {"query": " ".join(ws), "operator": "and"}}},
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    ),
)
queries = st.recursive(
    leaf_queries,
    lambda inner: st.builds(
        lambda must, should, must_not: {
            "bool": {"must": must, "should": should, "must_not": must_not}
        },
        st.lists(inner, max_size=2),
        st.lists(inner, max_size=2),
        st.lists(inner, max_size=1),
    ),
    max_leaves=5,
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def load(docs: list[dict[str, Any]]) -> OpenSearch:
    client = mutuo.connect("embedded://:memory:")
    client.indices.create(
        index="c",
        body={"mappings": {"properties": {"tag": {"type": "keyword"}, "n": {"type": "integer"}}}},
    )
    lines: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        lines += [{"index": {"_index": "c", "_id": str(i)}}, doc]
    client.bulk(body=lines, refresh=True)
    return client


def matched(client: OpenSearch, query: dict[str, Any]) -> dict[str, float]:
    hits = client.search(index="c", body={"query": query, "size": 100})["hits"]["hits"]
    return {h["_id"]: h["_score"] for h in hits}


@SETTINGS
@given(docs=documents, query=queries)
def test_must_not_is_the_complement(docs: list[dict[str, Any]], query: dict[str, Any]) -> None:
    client = load(docs)
    try:
        inside = set(matched(client, query))
        outside = set(matched(client, {"bool": {"must_not": [query]}}))
        assert inside.isdisjoint(outside)
        assert inside | outside == {str(i) for i in range(len(docs))}
    finally:
        client.close()


@SETTINGS
@given(docs=documents, query=queries, condition=leaf_queries)
def test_a_filter_never_changes_scores(
    docs: list[dict[str, Any]], query: dict[str, Any], condition: dict[str, Any]
) -> None:
    client = load(docs)
    try:
        scores = matched(client, query)
        filtered = matched(client, {"bool": {"must": [query], "filter": [condition]}})
        assert set(filtered) <= set(scores)
        for doc, score in filtered.items():
            assert score == scores[doc]
        # the filter alone matches exactly the documents it keeps
        allowed = set(matched(client, {"bool": {"filter": [condition]}}))
        assert set(filtered) == set(scores) & allowed
    finally:
        client.close()


@SETTINGS
@given(
    filler=st.integers(min_value=0, max_value=60),
    extra=st.integers(min_value=1, max_value=60),
    others=st.lists(st.integers(1, 30), max_size=5),
)
def test_bm25_monotone_in_frequency_and_length(filler: int, extra: int, others: list[int]) -> None:
    def text(freq: int, pad: int) -> str:
        return " ".join(["ant"] * freq + ["bee"] * pad)

    docs = {
        "base": text(1, filler),
        "more_often": text(1 + extra, filler),
        "longer": text(1, filler + extra),
    }
    client = mutuo.connect("embedded://:memory:")
    try:
        lines: list[dict[str, Any]] = []
        for doc_id, body in docs.items():
            lines += [{"index": {"_index": "m", "_id": doc_id}}, {"t": body}]
        for i, pad in enumerate(others):
            lines += [{"index": {"_index": "m", "_id": f"o{i}"}}, {"t": text(0, pad)}]
        client.bulk(body=lines, refresh=True)
        hits = client.search(index="m", body={"query": {"match": {"t": "ant"}}})["hits"]["hits"]
        score = {h["_id"]: h["_score"] for h in hits}
        assert score["more_often"] >= score["base"]
        assert score["longer"] <= score["base"]
    finally:
        client.close()


@pytest.mark.parametrize("word", WORDS)
def test_match_or_equals_bool_should_of_terms(word: str) -> None:
    client = load(
        [
            {"text": "ant bee", "tag": "red", "n": 1},
            {"text": f"{word} {word} cat", "tag": "blue", "n": 2},
            {"text": "eel", "tag": "red", "n": 3},
        ]
    )
    try:
        as_match = matched(client, {"match": {"text": f"cat {word}"}})
        distinct = list(dict.fromkeys(["cat", word]))
        should = [
            {"term": {"text": {"value": w, "boost": 2.0 if word == "cat" else 1.0}}}
            for w in distinct
        ]
        as_bool = matched(client, {"bool": {"should": should}})
        assert as_match == as_bool
    finally:
        client.close()
