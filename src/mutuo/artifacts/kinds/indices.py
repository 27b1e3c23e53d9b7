"""Managed indices: one alias per index template, backed by versioned physical indices.

``profiles`` (alias) -> ``profiles-v1`` (index). A template change that only touches
dynamic settings is applied in place; one that changes the mapping or a static setting
creates ``profiles-v2`` from the new template, copies the documents and swaps the alias
atomically (:mod:`..reindex`): readers never see a missing or half-filled index.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from opensearchpy import NotFoundError, OpenSearch

from ..compose import dynamic_settings
from ..model import Artifact, ArtifactSet, PlanItem, Problem
from ..reindex import reindex
from .index_templates import Managed, managed
from .remote import alias_targets, index_exists

NAME = "index"


def versions(client: OpenSearch, alias: str) -> dict[int, str]:
    """Physical indices ``ALIAS-vN`` that exist, by N."""
    try:
        names = client.indices.get(index=f"{alias}-v*", expand_wildcards="all")
    except NotFoundError:
        return {}
    pattern = re.compile(rf"^{re.escape(alias)}-v(\d+)$")
    return {int(match[1]): name for name in names if (match := pattern.match(name))}


def current_layout(client: OpenSearch, index: str) -> str | None:
    mapping = client.indices.get_mapping(index=index)[index]["mappings"]
    meta = (mapping.get("_meta") or {}).get("mutuo") or {}
    return meta.get("layout")


def settings_drift(client: OpenSearch, index: str, m: Managed) -> dict[str, Any]:
    """Dynamic settings whose value in the index differs from the template's."""
    current = client.indices.get_settings(index=index, flat_settings=True)[index]["settings"]
    return {k: v for k, v in dynamic_settings(m.settings).items() if current.get(k) != v}


class ManagedIndices:
    name = NAME
    folder = ""

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        return [], []  # derived from the index templates

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        return []

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        return [self._plan_one(client, m) for m in managed(artifacts).values()]

    def _plan_one(self, client: OpenSearch, m: Managed) -> PlanItem:
        targets = alias_targets(client, m.alias)
        existing = versions(client, m.alias)
        next_name = f"{m.alias}-v{max(existing, default=0) + 1}"
        if not targets:
            if index_exists(client, m.alias):
                return PlanItem(
                    NAME,
                    m.alias,
                    "error",
                    f"{m.alias} is a concrete index, not an alias: move its documents to {next_name} (or delete it) first",
                )
            return PlanItem(
                NAME,
                m.alias,
                "create",
                f"{next_name} behind alias {m.alias}",
                _create(next_name, m.alias),
            )
        if len(targets) > 1:
            return PlanItem(
                NAME,
                m.alias,
                "error",
                f"alias {m.alias} points to several indices {targets}; mutuo expects one",
            )
        current = targets[0]
        if current_layout(client, current) != m.layout:
            return PlanItem(
                NAME,
                m.alias,
                "reindex",
                f"{current} -> {next_name}: mapping or static settings changed; copy, then swap the alias atomically",
                _reindex(m.alias, current, next_name, existing),
            )
        drift = settings_drift(client, current, m)
        if drift:
            return PlanItem(
                NAME,
                m.alias,
                "update",
                f"{current}: settings {sorted(drift)}",
                _settings(current, drift),
            )
        return PlanItem(NAME, m.alias, "unchanged", current)


def _create(index: str, alias: str) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        client.indices.create(index=index, body={"aliases": {alias: {}}})

    return run


def _settings(index: str, drift: dict[str, Any]) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        client.indices.put_settings(index=index, body=drift)

    return run


def _reindex(alias: str, current: str, new: str, existing: dict[int, str]) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        reindex(client, alias, current, new, log)
        # keep the previous version (read-only) for a rollback; older ones go
        for name in existing.values():
            if name != current:
                client.indices.delete(index=name)
                log(f"deleted {name} (two versions old)")

    return run


KIND = ManagedIndices()
