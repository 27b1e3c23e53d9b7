"""LTR models: ``ltr_models/models/NAME/model.json`` -> ``_ltr/_model/NAME``.

The file is ``{"featureset": SET, "model": {"type": ..., "definition": ...}}``: the model is
created from the stored feature set SET (``_createmodel``, which copies the set into the
model). The folder also holds what ``mutuo ltr`` keeps beside a trained model (the XGBoost
booster, the model card); only ``model.json`` is installed.

Models are immutable in the LTR plugin: a model that exists with another definition is an
error item of the plan (upload the change under a new name), never an update.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..compose import canonical
from ..model import Artifact, ArtifactSet, PlanItem, Problem, pointer, read_file
from . import ltr_featuresets
from .remote import found, scratch_engine, try_install

NAME = "ltr_model"
FOLDER = "ltr_models/models"


def create_body(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The ``_createmodel`` request body of a model file."""
    return {"model": {"name": name, "model": body["model"]}}


def same_model(stored: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether a stored model (GET ``_ltr/_model/NAME`` source) is the file's model."""
    model = ((stored.get("_source") or {}).get("model") or {}).get("model") or {}
    return model.get("type") == body["model"]["type"] and _definition(
        model.get("definition")
    ) == _definition(body["model"]["definition"])


def _definition(value: Any) -> bytes:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value.encode()
    return canonical(value)


class LtrModels:
    name = NAME
    folder = FOLDER

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        directory = root / FOLDER
        artifacts, problems = [], []
        for path in sorted(directory.glob("*/model.json")) if directory.is_dir() else []:
            body, problem = read_file(root, path)
            if problem is not None:
                problems.append(problem)
                continue
            artifacts.append(Artifact(NAME, path.parent.name, str(path.relative_to(root)), body))
        return artifacts, problems

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        sets = {a.name: a for a in artifacts.of(ltr_featuresets.NAME)}
        problems = [p for a in artifacts.of(NAME) for p in _shape(a, sets)]
        if problems:
            return problems
        with scratch_engine() as engine:
            engine.transport.perform_request("PUT", "/_ltr")
            for name, a in sets.items():
                body = {"featureset": ltr_featuresets.desired(a)}
                engine.transport.perform_request("POST", f"/_ltr/_featureset/{name}", body=body)
            for a in artifacts.of(NAME):
                problems += try_install(a, pointer("model"), partial(_create, engine, a))
        return problems

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        items = []
        for a in artifacts.of(NAME):
            current = client.transport.perform_request(
                "GET", f"/_ltr/_model/{a.name}", params={"ignore": [400, 404]}
            )
            if not found(current):
                items.append(PlanItem(NAME, a.name, "create", "", _run(a)))
            elif same_model(current, a.body):
                items.append(PlanItem(NAME, a.name, "unchanged"))
            else:
                detail = f"{a.path}: the installed model differs; models are immutable, upload the change under a new name"
                items.append(PlanItem(NAME, a.name, "error", detail))
        return items


def _shape(a: Artifact, sets: dict[str, Artifact]) -> list[Problem]:
    body = a.body
    if not isinstance(body, dict) or set(body) != {"featureset", "model"}:
        return [Problem(a.path, "", 'the file must be {"featureset": SET, "model": {...}}')]
    model = body["model"]
    if not isinstance(model, dict) or not {"type", "definition"} <= set(model):
        return [Problem(a.path, pointer("model"), "the model needs a type and a definition")]
    if body["featureset"] not in sets:
        return [
            Problem(
                a.path,
                pointer("featureset"),
                f"feature set {body['featureset']!r} is not defined in {ltr_featuresets.FOLDER}/",
            )
        ]
    return []


def _create(client: OpenSearch, a: Artifact) -> None:
    path = f"/_ltr/_featureset/{a.body['featureset']}/_createmodel"
    client.transport.perform_request("POST", path, body=create_body(a.name, a.body))


def _run(a: Artifact) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        _create(client, a)

    return run


KIND = LtrModels()
