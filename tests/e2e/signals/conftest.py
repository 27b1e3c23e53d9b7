"""A small marketplace on a real embedded engine: the project's artifacts, a few members."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from opensearchpy import OpenSearch
from signals_market import T0, add_members, apply_artifacts

from mutuo.events import Event, record


@pytest.fixture
def market(memory_client: OpenSearch) -> OpenSearch:
    apply_artifacts(memory_client)
    add_members(memory_client, ["a", "b", "c", "d"])
    return memory_client


@pytest.fixture
def emit(market: OpenSearch) -> Callable[..., None]:
    """``emit(("a", "like", "b"), ..., at=minutes)``: record events through mutuo.events."""

    def _emit(*triples: tuple[str, str, str], minutes: float = 0.0) -> None:
        at = T0 + timedelta(minutes=minutes)
        record(market, [Event(a, action, b, at) for a, action, b in triples])

    return _emit
