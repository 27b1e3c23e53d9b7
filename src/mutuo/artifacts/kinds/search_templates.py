"""Stored search templates: ``scripts/NAME.mustache`` -> ``_scripts/NAME`` (lang mustache).

The file is the template source as OpenSearch renders it (JSON with mustache tags, so
not necessarily valid JSON itself). A literal ``"featureset": "X"`` (an ``sltr`` query)
must name a feature set of ``ltr_models/featuresets/``, and a default model slot
(``{{^model}}NAME{{/model}}``, see :mod:`mutuo.ltr.slot`) a model of ``ltr_models/models/``.
In a cluster the slot belongs to ``mutuo ltr promote``: an installed template keeps the
model it names, the file's model is only used when the template is first created.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ...ltr.slot import slot_model, slot_spread, with_slot_model, with_slot_spread
from ..model import Artifact, ArtifactSet, PlanItem, Problem
from . import ltr_featuresets, ltr_models
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
        models = {a.name for a in artifacts.of(ltr_models.NAME)}
        problems = []
        with scratch_engine() as engine:
            for a in artifacts.of(NAME):
                problems += try_install(a, "", partial(_put(a.name, a.body), engine, None))
                problems += _check_slot(a, models)
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
            body = a.body
            if not found(current):
                action = "create"
            else:
                installed = (current.get("script") or {}).get("source") or ""
                promoted = slot_model(installed) if isinstance(installed, str) else None
                body = with_slot_model(body, promoted) if promoted else body
                spread = slot_spread(installed) if isinstance(installed, str) else None
                body = with_slot_spread(body, spread) if spread else body
                action = "update" if installed != body else "unchanged"
            items.append(
                PlanItem(
                    NAME, a.name, action, a.path if action == "update" else "", _put(a.name, body)
                )
            )
        return items


def _check_slot(a: Artifact, models: set[str]) -> list[Problem]:
    try:
        model = slot_model(a.body)
    except ValueError as exc:
        return [Problem(a.path, "", str(exc))]
    if model is not None and model not in models:
        return [Problem(a.path, "", f"model {model!r} is not defined in {ltr_models.FOLDER}/")]
    return []


def _put(name: str, source: str) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        client.put_script(id=name, body={"script": {"lang": "mustache", "source": source}})

    return run


KIND = SearchTemplates()
