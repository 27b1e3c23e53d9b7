"""The demo indexes through its index template and its searches return what they claim."""

from __future__ import annotations

from opensearchpy import OpenSearch

from mutuo.demo.run import INDEX, run_demo


def test_demo_indexes_every_member_through_the_template(memory_client: OpenSearch) -> None:
    report = run_demo(memory_client, members=200, seed=3)
    assert memory_client.count(index=INDEX)["count"] == 200
    mapping = memory_client.indices.get_mapping(index=INDEX)[INDEX]["mappings"]
    assert mapping["properties"]["location"]["type"] == "geo_point"
    assert report.searches and all(s["hits"] for s in report.searches)


def test_demo_filter_search_returns_only_mutual_candidates(memory_client: OpenSearch) -> None:
    report = run_demo(memory_client, members=200, seed=3)
    viewer = memory_client.get(index=INDEX, id="m000000")["_source"]
    mutual = report.searches[1]
    for hit in mutual["hits"]:
        doc = memory_client.get(index=INDEX, id=hit["id"])["_source"]
        assert doc["gender"] in viewer["seeking"]
        assert viewer["gender"] in doc["seeking"]
