"""Component templates: ``index_templates/components/NAME.json`` -> ``_component_template/NAME``."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..compose import digest
from ..model import Artifact, ArtifactSet, PlanItem, Problem, load_folder, pointer
from .remote import component_template, mutuo_meta
from .shapes import check_template_block

NAME = "component_template"
FOLDER = "index_templates/components"
_KEYS = {"template", "version", "_meta"}


def desired_body(artifact: Artifact) -> dict[str, Any]:
    """The body mutuo installs: the file plus ``_meta.mutuo.digest`` of the file."""
    body = copy.deepcopy(artifact.body)
    meta = body.setdefault("_meta", {})
    meta["mutuo"] = {**meta.get("mutuo", {}), "digest": digest(artifact.body)}
    return body


class ComponentTemplates:
    name = NAME
    folder = FOLDER

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        return load_folder(root, FOLDER, NAME)

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        problems = []
        for a in artifacts.of(NAME):
            for key in a.body:
                if key not in _KEYS:
                    problems.append(
                        Problem(a.path, pointer(key), f"unknown key; expected {sorted(_KEYS)}")
                    )
            if not isinstance(a.body.get("template"), dict):
                problems.append(
                    Problem(
                        a.path,
                        pointer("template"),
                        "a component template needs a [template] object",
                    )
                )
                continue
            problems += check_template_block(a.path, a.body["template"], ("template",))
        return problems

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        items = []
        for a in artifacts.of(NAME):
            body = desired_body(a)
            current = component_template(client, a.name)
            if current is None:
                action, detail = "create", ""
            elif mutuo_meta(current).get("digest") != mutuo_meta(body)["digest"]:
                action, detail = "update", f"{a.path} changed"
            else:
                action, detail = "unchanged", ""
            items.append(PlanItem(NAME, a.name, action, detail, _put(a.name, body)))
        return items


def _put(name: str, body: dict[str, Any]) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        client.cluster.put_component_template(name=name, body=body)

    return run


KIND = ComponentTemplates()
