"""Small helpers for reading what a cluster holds, on both engines."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch


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
