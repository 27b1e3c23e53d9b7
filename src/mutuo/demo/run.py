"""The demo: generate members, index them through an index template, search them.

Everything goes through an opensearch-py client from :func:`mutuo.connect`, so the same
demo runs on the embedded engine (the default) and on a real cluster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch

from .population import generate_members

TEMPLATE_NAME = "mutuo-demo-profiles"
INDEX = "demo-profiles"
TEMPLATE: dict[str, Any] = {
    "index_patterns": ["demo-profiles*"],
    "priority": 10,
    "template": {
        "settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "status": {"type": "keyword"},
                "gender": {"type": "keyword"},
                "seeking": {"type": "keyword"},
                "orientation": {"type": "keyword"},
                "age": {"type": "integer"},
                "age_min": {"type": "integer"},
                "age_max": {"type": "integer"},
                "location": {"type": "geo_point"},
                "city": {"type": "keyword"},
                "max_distance_km": {"type": "integer"},
                "headline": {"type": "text"},
                "bio": {"type": "text"},
                "interests": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
                "job": {"type": "keyword"},
                "drinks": {"type": "keyword"},
                "smokes": {"type": "keyword"},
                "languages": {"type": "keyword"},
                "created_at": {"type": "date"},
                "last_active_at": {"type": "date"},
            },
        },
    },
}


@dataclass
class DemoReport:
    members: int
    index_seconds: float
    searches: list[dict[str, Any]] = field(default_factory=list)


def _bulk_body(members: list[Any]) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    for member in members:
        body.append({"index": {"_index": INDEX, "_id": member.id}})
        body.append(member.profile)
    return body


def run_demo(client: OpenSearch, members: int = 500, seed: int = 7) -> DemoReport:
    """Index ``members`` synthetic profiles and run a few representative searches."""
    client.indices.put_index_template(name=TEMPLATE_NAME, body=TEMPLATE)
    if client.indices.exists(index=INDEX):
        client.indices.delete(index=INDEX)
    population = generate_members(members, seed=seed)
    start = time.perf_counter()
    for i in range(0, len(population), 500):
        response = client.bulk(body=_bulk_body(population[i : i + 500]))
        if response["errors"]:
            failed = [it for it in response["items"] if "error" in next(iter(it.values()))]
            raise RuntimeError(f"{len(failed)} profiles were rejected: {failed[:1]}")
    client.indices.refresh(index=INDEX)
    report = DemoReport(members=members, index_seconds=time.perf_counter() - start)
    viewer = population[0].profile
    searches: dict[str, dict[str, Any]] = {
        "bios mentioning hiking or climbing": {"query": {"match": {"bio": "hiking climbing"}}},
        f"active {'/'.join(viewer['seeking'])} members seeking a {viewer['gender']}": {
            "query": {
                "bool": {
                    "filter": [
                        {"term": {"status": "active"}},
                        {"terms": {"gender": viewer["seeking"]}},
                        {"term": {"seeking": viewer["gender"]}},
                    ]
                }
            }
        },
    }
    for title, body in searches.items():
        result = client.search(index=INDEX, body={**body, "size": 5})
        report.searches.append(
            {
                "title": title,
                "total": result["hits"]["total"]["value"],
                "hits": [
                    {
                        "id": h["_id"],
                        "score": round(h["_score"], 3),
                        "headline": h["_source"]["headline"],
                        "age": h["_source"]["age"],
                        "city": h["_source"]["city"],
                    }
                    for h in result["hits"]["hits"]
                ],
            }
        )
    return report
