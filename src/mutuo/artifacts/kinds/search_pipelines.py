"""Search pipelines: ``scripts/pipelines/NAME.json`` -> ``_search/pipeline/NAME``.

The file is the pipeline body (``request_processors``, ``phase_results_processors``,
``response_processors``, ``description``...). A cluster returns the body it stored, so a
plan compares it with the file's.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..compose import canonical
from ..model import Artifact, ArtifactSet, PlanItem, Problem, load_folder, pointer
from .remote import found, scratch_engine, try_install

NAME = "search_pipeline"
FOLDER = "scripts/pipelines"
_KEYS = {
    "description",
    "version",
    "request_processors",
    "phase_results_processors",
    "response_processors",
}


class SearchPipelines:
    name = NAME
    folder = FOLDER

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]:
        return load_folder(root, FOLDER, NAME)

    def validate(self, artifacts: ArtifactSet) -> list[Problem]:
        problems = [
            Problem(a.path, pointer(key), f"unknown key; expected {sorted(_KEYS)}")
            for a in artifacts.of(NAME)
            for key in a.body
            if key not in _KEYS
        ]
        if problems:
            return problems
        with scratch_engine() as engine:
            for a in artifacts.of(NAME):
                problems += try_install(a, "", partial(_put(a.name, a.body), engine, None))
        return problems

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
        items = []
        for a in artifacts.of(NAME):
            current = client.transport.perform_request(
                "GET", f"/_search/pipeline/{a.name}", params={"ignore": 404}
            )
            if not found(current) or a.name not in current:
                action = "create"
            elif canonical(current[a.name]) != canonical(a.body):
                action = "update"
            else:
                action = "unchanged"
            items.append(
                PlanItem(
                    NAME, a.name, action, a.path if action == "update" else "", _put(a.name, a.body)
                )
            )
        return items


def _put(name: str, body: dict[str, Any]) -> Any:
    def run(client: OpenSearch, log: Any) -> None:
        client.transport.perform_request("PUT", f"/_search/pipeline/{name}", body=body)

    return run


KIND = SearchPipelines()
