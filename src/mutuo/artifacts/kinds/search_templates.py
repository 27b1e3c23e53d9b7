"""Stored search templates: ``scripts/NAME.mustache`` -> ``_scripts/NAME`` (lang mustache).

The file is the template source as OpenSearch renders it (JSON with mustache tags, so
not necessarily valid JSON itself). A literal ``"featureset": "X"`` (an ``sltr`` query)
must name a feature set of ``ltr_models/featuresets/``.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..model import Artifact, ArtifactSet, PlanItem, Problem
from . import ltr_featuresets
from .remote import found, scratch_engine, try_install

NAME = "search_template"
FOLDER = "scripts"
_FEATURESET = re.compile(r'"featureset"\s*:\s*"([^"{}]+)"')


class SearchTemplates:
    name = NAME
    folder = FOLDER

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        directory = root / FOLDER
        if not directory.is_dir():
            return [], []
        artifacts, problems = [], []
        for path in sorted(directory.glob("*.mustache")):
            rel = str(path.relative_to(root))
            try:
                artifacts.append(Artifact(NAME, path.stem, rel, path.read_text()))
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(rel, "", f"cannot read: {exc}"))
        return artifacts, problems

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        featuresets = {a.name for a in artifacts.of(ltr_featuresets.NAME)}
        problems = []
        with scratch_engine() as engine:
            for a in artifacts.of(NAME):
                problems += try_install(a, "", partial(_put(a.name, a.body), engine, None))
                for name in _FEATURESET.findall(a.body):
                    if name not in featuresets:
                        problems.append(
                            Problem(
                                a.path,
                                "",
                                f"feature set {name!r} is not defined in {ltr_featuresets.FOLDER}/",
                            )
                        )
        return problems

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        items = []
        for a in artifacts.of(NAME):
            current = client.get_script(id=a.name, ignore=404)
            if not found(current):
                action = "create"
            elif (current.get("script") or {}).get("source") != a.body:
                action = "update"
            else:
                action = "unchanged"
            items.append(
                PlanItem(
                    NAME, a.name, action, a.path if action == "update" else "", _put(a.name, a.body)
                )
            )
        return items


def _put(name: str, source: str) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        client.put_script(id=name, body={"script": {"lang": "mustache", "source": source}})

    return run


KIND = SearchTemplates()
