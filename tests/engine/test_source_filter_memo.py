"""``_source`` filtering answers each (path, patterns) question once per pattern set.

The memoised answers must depend on the patterns as well as the path: the same document
filtered with different specs, in any order, gives each spec's own answer.
"""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch

from mutuo.engine.source_filter import filter_source

DOC: dict[str, Any] = {
    "name": "Ada",
    "profile_vector": [0.1, 0.2],
    "location": {"lat": 1.0, "lon": 2.0},
    "roles": [{"title": "cto", "years": 3}, {"title": "dev", "years": 5}],
}


def test_same_paths_with_different_patterns_give_each_patterns_answer() -> None:
    specs = [
        ([], ["profile_vector"]),
        (["name", "roles.title"], []),
        (["*"], ["location.*", "roles.years"]),
        (["loc*"], []),
        ([], ["profile_vector"]),
    ]
    got = [filter_source(DOC, inc, exc) for inc, exc in specs]
    assert got == [
        {"name": "Ada", "location": {"lat": 1.0, "lon": 2.0}, "roles": DOC["roles"]},
        {"name": "Ada", "roles": [{"title": "cto"}, {"title": "dev"}]},
        {
            "name": "Ada",
            "profile_vector": [0.1, 0.2],
            "location": {},
            "roles": [{"title": "cto"}, {"title": "dev"}],
        },
        {"location": {"lat": 1.0, "lon": 2.0}},
        {"name": "Ada", "location": {"lat": 1.0, "lon": 2.0}, "roles": DOC["roles"]},
    ]


def test_searches_with_different_excludes_return_different_sources(
    memory_client: OpenSearch,
) -> None:
    memory_client.index(index="people", id="1", body=DOC, refresh=True)
    for excludes, kept in [
        (["profile_vector"], {"name", "location", "roles"}),
        (["roles", "name"], {"profile_vector", "location"}),
        (["profile_vector"], {"name", "location", "roles"}),
    ]:
        body = {"query": {"match_all": {}}, "_source": {"excludes": excludes}}
        hit = memory_client.search(index="people", body=body)["hits"]["hits"][0]
        assert set(hit["_source"]) == kept
