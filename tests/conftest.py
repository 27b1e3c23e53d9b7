"""Fixtures shared by every suite: real engines on temporary paths, never fakes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

import mutuo

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def engine_path(tmp_path: Path) -> str:
    return str(tmp_path / "engine")


@pytest.fixture
def client(engine_path: str) -> Iterator[OpenSearch]:
    """An opensearch-py client on a fresh embedded engine in a temporary directory."""
    c = mutuo.connect(f"embedded://{engine_path}")
    yield c
    c.close()


@pytest.fixture
def memory_client() -> Iterator[OpenSearch]:
    c = mutuo.connect("embedded://:memory:")
    yield c
    c.close()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip(f"shared folder {SHARED} is absent (datasets and conformance files live there)")
    return SHARED
