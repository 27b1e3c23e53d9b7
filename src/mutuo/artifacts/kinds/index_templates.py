"""Index templates: ``index_templates/NAME.json`` -> ``_index_template/NAME``.

Each template manages one alias (``_meta.mutuo.alias``, default: the file name) whose
physical indices are ``ALIAS-v1``, ``ALIAS-v2``... (see :mod:`.indices`). mutuo adds to
what it installs a digest of the file (to plan updates) and, in the template's mapping
``_meta``, the digest of the composed static layout, which every index created from the
template then carries.
"""

from __future__ import annotations

import copy
import fnmatch
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..compose import compose, digest, field_specs, layout_digest
from ..model import Artifact, ArtifactSet, PlanItem, Problem, load_folder, pointer
from . import component_templates
from .remote import index_template, mutuo_meta, scratch_engine, try_install
from .shapes import check_template_block

NAME = "index_template"
FOLDER = "index_templates"
_KEYS = {"index_patterns", "template", "composed_of", "priority", "version", "_meta"}


@dataclass(frozen=True)
class Managed:
    """An alias mutuo manages, with what its physical index must look like."""

    alias: str
    template: Artifact
    mappings: dict[str, Any]
    settings: dict[str, Any]  # flat
    layout: str

    def fields(self) -> dict[str, dict[str, Any]]:
        return field_specs(self.mappings)


def alias_of(artifact: Artifact) -> str:
    meta = artifact.body.get("_meta") or {}
    alias = (meta.get("mutuo") or {}).get("alias") if isinstance(meta, dict) else None
    return alias if isinstance(alias, str) and alias else artifact.name


def managed(artifacts: ArtifactSet) -> dict[str, Managed]:
    """Every managed alias, composed from the templates as loaded (problems aside)."""
    components = artifacts.bodies(component_templates.NAME)
    out = {}
    for a in artifacts.of(NAME):
        mappings, settings = compose(a.body, components)
        alias = alias_of(a)
        out[alias] = Managed(alias, a, mappings, settings, layout_digest(mappings, settings))
    return out


def desired_body(m: Managed, components: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(m.template.body)
    used = {c: components.get(c) for c in body.get("composed_of", [])}
    meta = body.setdefault("_meta", {})
    meta["mutuo"] = {
        **meta.get("mutuo", {}),
        "alias": m.alias,
        "digest": digest(m.template.body, used),
    }
    block = body.setdefault("template", {})
    mappings = block.setdefault("mappings", {})
    mapping_meta = mappings.setdefault("_meta", {})
    mapping_meta["mutuo"] = {"alias": m.alias, "layout": m.layout}
    return body


class IndexTemplates:
    name = NAME
    folder = FOLDER

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        return load_folder(root, FOLDER, NAME)

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        problems: list[Problem] = []
        components = artifacts.bodies(component_templates.NAME)
        for a in artifacts.of(NAME):
            problems += _check_shape(a, components)
        problems += _check_aliases(artifacts)
        problems += _check_pipelines(artifacts)
        problems += _check_priorities(artifacts)
        if not problems:
            problems += _check_accepted(artifacts)
        return problems

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        components = artifacts.bodies(component_templates.NAME)
        items = []
        for m in managed(artifacts).values():
            body = desired_body(m, components)
            current = index_template(client, m.template.name)
            if current is None:
                action, detail = "create", f"for alias {m.alias}"
            elif mutuo_meta(current).get("digest") != body["_meta"]["mutuo"]["digest"]:
                action, detail = "update", f"{m.template.path} or its components changed"
            else:
                action, detail = "unchanged", ""
            items.append(
                PlanItem(NAME, m.template.name, action, detail, _put(m.template.name, body))
            )
        return items


def _put(name: str, body: dict[str, Any]) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        client.indices.put_index_template(name=name, body=body)

    return run


def _check_shape(a: Artifact, components: dict[str, Any]) -> list[Problem]:
    problems = [
        Problem(a.path, pointer(k), f"unknown key; expected {sorted(_KEYS)}")
        for k in a.body
        if k not in _KEYS
    ]
    patterns = a.body.get("index_patterns")
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(p, str) for p in patterns)
    ):
        problems.append(
            Problem(
                a.path, pointer("index_patterns"), "must be a non-empty list of index name patterns"
            )
        )
    composed = a.body.get("composed_of", [])
    if not isinstance(composed, list):
        problems.append(
            Problem(a.path, pointer("composed_of"), "must be a list of component template names")
        )
        composed = []
    for i, name in enumerate(composed):
        if name not in components:
            problems.append(
                Problem(
                    a.path,
                    pointer("composed_of", i),
                    f"component template {name!r} is not defined in {component_templates.FOLDER}/",
                )
            )
    block = a.body.get("template", {})
    if not isinstance(block, dict):
        problems.append(Problem(a.path, pointer("template"), "must be an object"))
    else:
        problems += check_template_block(a.path, block, ("template",))
    if not problems:
        problems += _check_knn_setting(a, components)
    return problems


def _check_knn_setting(a: Artifact, components: dict[str, Any]) -> list[Problem]:
    mappings, settings = compose(a.body, components)
    vectors = [p for p, spec in field_specs(mappings).items() if spec.get("type") == "knn_vector"]
    if vectors and settings.get("index.knn") != "true":
        return [
            Problem(
                a.path,
                pointer("template", "settings"),
                f"knn_vector fields {vectors} need index.knn: true (here or in a component template)",
            )
        ]
    return []


def _check_pipelines(artifacts: ArtifactSet) -> list[Problem]:
    """``index.search.default_pipeline`` must name a pipeline of scripts/pipelines/."""
    pipelines = {a.name for a in artifacts.of("search_pipeline")} | {"_none"}
    problems = []
    for m in managed(artifacts).values():
        name = m.settings.get("index.search.default_pipeline")
        if name is not None and name not in pipelines:
            where = pointer("template", "settings")
            problems.append(
                Problem(
                    m.template.path,
                    where,
                    f"default search pipeline {name!r} is not defined in scripts/pipelines/",
                )
            )
    return problems


def _check_aliases(artifacts: ArtifactSet) -> list[Problem]:
    problems = []
    templates = artifacts.of(NAME)
    owners: dict[str, str] = {}
    for a in templates:
        alias = alias_of(a)
        patterns = [p for p in a.body.get("index_patterns") or [] if isinstance(p, str)]
        if alias in owners:
            problems.append(
                Problem(
                    a.path,
                    pointer("_meta", "mutuo", "alias"),
                    f"alias {alias!r} is already managed by {owners[alias]}",
                )
            )
        owners.setdefault(alias, a.path)
        if patterns and not any(fnmatch.fnmatchcase(f"{alias}-v1", p) for p in patterns):
            problems.append(
                Problem(
                    a.path,
                    pointer("index_patterns"),
                    f'no pattern matches the physical index {alias}-v1 of alias {alias!r} (use "{alias}-v*")',
                )
            )
        for other in templates:
            other_patterns = [
                p for p in other.body.get("index_patterns") or [] if isinstance(p, str)
            ]
            if any(fnmatch.fnmatchcase(alias, p) for p in other_patterns):
                problems.append(
                    Problem(
                        other.path,
                        pointer("index_patterns"),
                        f"a pattern matches the alias name {alias!r}: an index of that name would shadow the alias",
                    )
                )
    return problems


def _check_priorities(artifacts: ArtifactSet) -> list[Problem]:
    problems = []
    templates = artifacts.of(NAME)
    for i, a in enumerate(templates):
        for b in templates[i + 1 :]:
            if a.body.get("priority", 0) != b.body.get("priority", 0):
                continue
            for p in a.body.get("index_patterns") or []:
                for q in b.body.get("index_patterns") or []:
                    if (
                        isinstance(p, str)
                        and isinstance(q, str)
                        and (fnmatch.fnmatchcase(p, q) or fnmatch.fnmatchcase(q, p))
                    ):
                        problems.append(
                            Problem(
                                b.path,
                                pointer("priority"),
                                f"patterns overlap with {a.path} at the same priority; OpenSearch refuses that",
                            )
                        )
    return problems


def _check_accepted(artifacts: ArtifactSet) -> list[Problem]:
    """Install everything into an in-memory embedded engine: what it refuses, with the
    engine's own error, is reported against the file that caused it."""
    problems: list[Problem] = []
    components = artifacts.bodies(component_templates.NAME)
    with scratch_engine() as engine:
        for c in artifacts.of(component_templates.NAME):
            problems += try_install(
                c,
                pointer("template"),
                partial(engine.cluster.put_component_template, name=c.name, body=c.body),
            )
        if problems:
            return problems
        for pipeline in artifacts.of("search_pipeline"):  # referenced by index settings
            engine.transport.perform_request(
                "PUT",
                f"/_search/pipeline/{pipeline.name}",
                body=pipeline.body,
                params={"ignore": 400},
            )
        for m in managed(artifacts).values():
            body = desired_body(m, components)
            at = pointer("template")
            problems += try_install(
                m.template,
                at,
                partial(engine.indices.put_index_template, name=m.template.name, body=body),
            )
            problems += try_install(
                m.template, at, partial(engine.indices.create, index=f"{m.alias}-v1")
            )
    return problems


KIND = IndexTemplates()
