"""Reading a whole index in order: ``search_after`` pages sorted by timestamp, then ``_id``.

Works the same on the embedded engine and a cluster (no scroll contexts to clean up).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opensearchpy import OpenSearch

PAGE = 2000


def time_range(field: str, since: str | None, until: str | None) -> dict[str, Any]:
    """A ``range`` query on ``field`` for [since, until), or match_all."""
    bounds = {k: v for k, v in (("gte", since), ("lt", until)) if v is not None}
    return {"range": {field: bounds}} if bounds else {"match_all": {}}


def scan(
    client: OpenSearch, index: str, query: dict[str, Any], sort_field: str = "timestamp"
) -> Iterator[dict[str, Any]]:
    """Every hit of ``query`` in ``index``, oldest first."""
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {
            "size": PAGE,
            "query": query,
            "sort": [{sort_field: "asc"}, {"_id": "asc"}],
            "track_total_hits": False,
        }
        if after is not None:
            body["search_after"] = after
        hits = client.search(index=index, body=body)["hits"]["hits"]
        yield from hits
        if len(hits) < PAGE:
            return
        after = hits[-1]["sort"]
