"""LTR feature sets: ``ltr_models/featuresets/NAME.json`` -> ``_ltr/_featureset/NAME``.

The file is the plugin's body, ``{"featureset": {"features": [...]}}``, stored in the
default feature store (``_ltr``, created when missing). Models are not artifacts of
``apply``: ``mutuo ltr upload`` trains, versions and uploads them.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..compose import canonical
from ..model import Artifact, ArtifactSet, PlanItem, Problem, load_folder, pointer
from .remote import found, scratch_engine, try_install

NAME = "ltr_featureset"
FOLDER = "ltr_models/featuresets"


def desired(artifact: Artifact) -> dict[str, Any]:
    """The stored feature set: the file's, named after the file."""
    return {**artifact.body["featureset"], "name": artifact.name}


class LtrFeatureSets:
    name = NAME
    folder = FOLDER

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        return load_folder(root, FOLDER, NAME)

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        problems = []
        for a in artifacts.of(NAME):
            if set(a.body) != {"featureset"} or not isinstance(a.body["featureset"], dict):
                problems.append(
                    Problem(a.path, "", 'the file must be {"featureset": {"features": [...]}}')
                )
            elif a.body["featureset"].get("name", a.name) != a.name:
                problems.append(
                    Problem(
                        a.path,
                        pointer("featureset", "name"),
                        f"the feature set is named after its file: {a.name!r}",
                    )
                )
        if problems:
            return problems
        with scratch_engine() as engine:
            ensure_default_store(engine)
            for a in artifacts.of(NAME):
                problems += try_install(a, pointer("featureset"), partial(_post, engine, a))
        return problems

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        items = []
        stores = client.transport.perform_request("GET", "/_ltr", params={"ignore": 404})
        store = "_default_" in (stores.get("stores") or {})
        for a in artifacts.of(NAME):
            current: dict[str, Any] = {"found": False}
            if store:
                path = f"/_ltr/_featureset/{a.name}"
                current = client.transport.perform_request("GET", path, params={"ignore": 404})
            if not found(current):
                action = "create"
            elif canonical(current.get("_source", {}).get("featureset")) != canonical(desired(a)):
                action = "update"
            else:
                action = "unchanged"
            items.append(
                PlanItem(NAME, a.name, action, a.path if action == "update" else "", _run(a))
            )
        return items


def ensure_default_store(client: OpenSearch) -> None:
    """Create the default feature store unless it exists (``PUT _ltr`` twice is a 400)."""
    stores = client.transport.perform_request("GET", "/_ltr")
    if not (stores.get("stores") or {}).get("_default_"):
        client.transport.perform_request("PUT", "/_ltr")


def _post(client: OpenSearch, a: Artifact) -> None:
    client.transport.perform_request(
        "POST", f"/_ltr/_featureset/{a.name}", body={"featureset": desired(a)}
    )


def _run(a: Artifact) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        ensure_default_store(client)
        _post(client, a)

    return run


KIND = LtrFeatureSets()
