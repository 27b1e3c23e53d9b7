"""Fixtures of the recommendation suites: a real embedded engine with the project's artifacts."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from .market import Market, apply_artifacts


@pytest.fixture
def market(memory_client: OpenSearch) -> Market:
    apply_artifacts(memory_client)
    return Market(memory_client)
