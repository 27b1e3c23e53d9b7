"""Fixtures for the search suites: real embedded engines loaded with small corpora."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opensearchpy import OpenSearch

MakeIndex = Callable[..., OpenSearch]


@pytest.fixture
def make_index(memory_client: OpenSearch) -> MakeIndex:
    """``make_index(name, docs, mappings=None, settings=None)``: create, bulk-load, refresh.

    ``docs`` is a list of sources (ids "1", "2", ...) or a dict id -> source.
    """

    def make(
        name: str,
        docs: list[dict[str, Any]] | dict[str, dict[str, Any]],
        mappings: dict[str, Any] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> OpenSearch:
        body: dict[str, Any] = {}
        if mappings is not None:
            body["mappings"] = mappings
        if settings is not None:
            body["settings"] = settings
        memory_client.indices.create(index=name, body=body)
        items = (
            docs.items() if isinstance(docs, dict) else ((str(i), d) for i, d in enumerate(docs, 1))
        )
        lines: list[dict[str, Any]] = []
        for doc_id, source in items:
            lines.append({"index": {"_index": name, "_id": doc_id}})
            lines.append(source)
        if lines:
            result = memory_client.bulk(body=lines, refresh=True)
            assert not result["errors"], result
        return memory_client

    return make
