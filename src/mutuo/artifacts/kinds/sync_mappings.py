"""Sync mappings ``sync/*.yaml``: checked against the index templates they write into.

They install nothing into the cluster (the sync worker reads them), so their plan is
empty; ``mutuo validate`` checks that every field they write exists in the target's
mapping with a compatible type, and that the embedding fits the vector field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ...sync.config import SyncMapping, parse_mapping
from ..model import Artifact, ArtifactSet, PlanItem, Problem, load_folder, pointer
from .index_templates import Managed, managed

NAME = "sync_mapping"
FOLDER = "sync"
_DEAD_LETTER_FIELDS = {
    "@timestamp": "date",
    "doc_id": "keyword",
    "error.reason": "text",
    "stage": "keyword",
}


def parsed(artifacts: ArtifactSet) -> list[tuple[Artifact, SyncMapping | None, list[Problem]]]:
    return [(a, *parse_mapping(a.body, a.path, a.name)) for a in artifacts.of(NAME)]


class SyncMappings:
    name = NAME
    folder = FOLDER

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        return load_folder(root, FOLDER, NAME, suffixes=(".yaml", ".yml"))

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        problems: list[Problem] = []
        aliases = managed(artifacts)
        for artifact, mapping, found in parsed(artifacts):
            problems += found
            if mapping is not None:
                problems += _check_against(artifact, mapping, aliases)
        return problems

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        return []


def _check_against(a: Artifact, m: SyncMapping, aliases: dict[str, Managed]) -> list[Problem]:
    target = aliases.get(m.index)
    if target is None:
        known = sorted(aliases)
        return [
            Problem(
                a.path,
                pointer("target", "index"),
                f"{m.index!r} is not an alias managed by index_templates/ (known: {known})",
            )
        ]
    fields = target.fields()
    problems = [
        _missing(a, ("fields", r.target), r.target, target)
        for r in m.fields
        if r.target not in fields
    ]
    problems += [
        _missing(a, ("derived", d.target), d.target, target)
        for d in m.derived
        if d.target not in fields
    ]
    problems += _expect(a, fields, target, m.version_field, ("target", "version_field"), {"long"})
    if m.synced_at_field:
        problems += _expect(
            a, fields, target, m.synced_at_field, ("target", "synced_at_field"), {"date"}
        )
    return problems + _check_embedding(a, m, target) + _check_dead_letters(a, m, aliases)


def _check_embedding(a: Artifact, m: SyncMapping, target: Managed) -> list[Problem]:
    if m.embedding is None:
        return []
    e, fields = m.embedding, target.fields()
    problems = _expect(a, fields, target, e.field, ("embedding", "field"), {"knn_vector"})
    problems += _expect(a, fields, target, e.hash_field, ("embedding", "hash_field"), {"keyword"})
    spec = fields.get(e.field, {})
    if spec.get("type") == "knn_vector" and spec.get("dimension") != e.dimension:
        message = f"{e.dimension} differs from the dimension {spec.get('dimension')} of {e.field} in {target.template.path}"
        problems.append(Problem(a.path, pointer("embedding", "dimension"), message))
    return problems


def _check_dead_letters(a: Artifact, m: SyncMapping, aliases: dict[str, Managed]) -> list[Problem]:
    dead = aliases.get(m.dead_letter_index)
    if dead is None:
        return [
            Problem(
                a.path,
                pointer("target", "dead_letter_index"),
                f"{m.dead_letter_index!r} is not an alias managed by index_templates/",
            )
        ]
    fields = dead.fields()
    return [
        Problem(
            dead.template.path,
            pointer(
                "template",
                "mappings",
                "properties",
                *"/properties/".join(name.split(".")).split("/"),
            ),
            f"the dead-letter index needs {name} ({kind})",
        )
        for name, kind in _DEAD_LETTER_FIELDS.items()
        if fields.get(name, {}).get("type") != kind
    ]


def _missing(a: Artifact, where: tuple[str, ...], field: str, target: Managed) -> Problem:
    return Problem(
        a.path,
        pointer(*where),
        f"field {field!r} is not in the mapping of {target.alias} ({target.template.path})",
    )


def _expect(
    a: Artifact,
    fields: dict[str, Any],
    target: Managed,
    field: str,
    where: tuple[str, ...],
    types: set[str],
) -> list[Problem]:
    kind = fields.get(field, {}).get("type")
    if kind in types:
        return []
    found = "missing" if kind is None else f"of type {kind}"
    return [
        Problem(
            a.path,
            pointer(*where),
            f"{field!r} must be a {'/'.join(sorted(types))} field of {target.alias}; it is {found} in {target.template.path}",
        )
    ]


KIND = SyncMappings()
