"""A parsed query's body key is its body's canonical JSON, however it was computed."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mutuo.engine.queries import parse_query
from mutuo.engine.queries.function_score import FunctionScore


def canonical(body: Any) -> str:
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


@pytest.mark.parametrize(
    "body",
    [
        {"match": {"bio": {"query": "likes hiking", "boost": 2}}},  # keyed when asked for
        {"term": {"status": "active"}},  # keyed at parse (its type may be shared)
        {"bool": {"filter": [{"term": {"status": "active"}}, {"range": {"age": {"gte": 3}}}]}},
    ],
    ids=["lazy", "eager-leaf", "eager-compound"],
)
def test_body_key_is_the_canonical_json_of_the_parsed_body(body: dict[str, Any]) -> None:
    query = parse_query(body)
    assert query.body_key == canonical(body)
    assert query.body_filter_key() == (query.type_name, canonical(body))


def test_nested_queries_are_keyed_by_their_own_bodies() -> None:
    inner = {"match": {"bio": "hiking"}}
    query = parse_query({"function_score": {"query": inner, "functions": [{"weight": 2}]}})
    assert isinstance(query, FunctionScore)
    (child,) = query.children()
    assert child.body_key == canonical(inner)


def test_a_body_json_cannot_hold_has_no_key() -> None:
    assert parse_query({"match": {"bio": {"query": "x", "_name": 1 << 70}}}).body_key is None


def test_queries_built_internally_have_no_key() -> None:
    from mutuo.engine.queries.match_all import MatchAll

    assert MatchAll().body_key is None
