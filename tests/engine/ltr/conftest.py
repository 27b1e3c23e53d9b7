"""Fixtures for the LTR plugin tests."""

from __future__ import annotations

import pytest
from ltr_rest import Rest
from opensearchpy import OpenSearch


@pytest.fixture
def rest(memory_client: OpenSearch) -> Rest:
    return Rest(memory_client)
