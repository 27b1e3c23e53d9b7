"""Small helpers for reading what a cluster holds, on both engines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from opensearchpy import OpenSearch, TransportError

from ... import client as client_mod
from ..model import Artifact, Problem


def component_template(client: OpenSearch, name: str) -> dict[str, Any] | None:
    found = client.cluster.get_component_template(name=name, ignore=404)
    items = found.get("component_templates", [])
    return items[0]["component_template"] if items else None


def index_template(client: OpenSearch, name: str) -> dict[str, Any] | None:
    found = client.indices.get_index_template(name=name, ignore=404)
    items = found.get("index_templates", [])
    return items[0]["index_template"] if items else None


def mutuo_meta(body: dict[str, Any] | None) -> dict[str, Any]:
    """The ``_meta.mutuo`` block mutuo writes into what it installs."""
    meta = (body or {}).get("_meta") or {}
    value = meta.get("mutuo") if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else {}


def alias_targets(client: OpenSearch, alias: str) -> list[str]:
    """The indices an alias points to ([] when the alias does not exist)."""
    found = client.indices.get_alias(name=alias, ignore=404)
    return [] if "error" in found or found.get("status") == 404 else sorted(found)


def index_exists(client: OpenSearch, name: str) -> bool:
    return bool(client.indices.exists(index=name))


@contextmanager
def scratch_engine() -> Iterator[OpenSearch]:
    """An in-memory embedded engine: installing an artifact into it checks it the way
    the engine (standing in for OpenSearch) would at ``apply`` time."""
    engine = client_mod.connect("embedded://:memory:")
    try:
        yield engine
    finally:
        engine.close()


def try_install(artifact: Artifact, at: str, call: Callable[[], Any]) -> list[Problem]:
    """Run ``call``; an OpenSearch error becomes a problem of ``artifact`` at ``at``."""
    try:
        call()
    except TransportError as exc:
        info = exc.info if isinstance(exc.info, dict) else {}
        reason = (
            (info.get("error") or {}).get("reason", str(exc.error))
            if isinstance(info.get("error"), dict)
            else str(exc.error)
        )
        return [Problem(artifact.path, at, f"refused by the engine: {exc.error}: {reason}")]
    return []


def found(response: dict[str, Any]) -> bool:
    """Whether a GET answered with ``ignore=404`` found its object."""
    return not (
        response.get("status") == 404 or response.get("found") is False or "error" in response
    )
