"""Fixtures for the sync suites: the project's artifacts applied to a real embedded engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.sync.config import SyncMapping, load_mapping
from mutuo.sync.embedder import Embedder

ROOT = Path(__file__).resolve().parents[3]


def apply_artifacts(client: OpenSearch) -> None:
    apply_plan(client, make_plan(client, load_artifacts(ROOT)), lambda _m: None)


@pytest.fixture
def applied(memory_client: OpenSearch) -> OpenSearch:
    apply_artifacts(memory_client)
    return memory_client


@pytest.fixture(scope="session")
def profiles_mapping() -> SyncMapping:
    return load_mapping(ROOT / "sync" / "profiles.yaml")


@pytest.fixture(params=["merge", "external"])
def mapping(request: pytest.FixtureRequest, profiles_mapping: SyncMapping) -> SyncMapping:
    """The project mapping in each write mode."""
    return dataclasses.replace(profiles_mapping, write_mode=request.param)


@pytest.fixture(scope="session")
def embedder() -> Iterator[Embedder]:
    """The real all-MiniLM-L6-v2 model, loaded once per test process."""
    yield Embedder()
