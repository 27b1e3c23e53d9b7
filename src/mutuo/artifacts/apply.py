"""``mutuo validate`` and ``mutuo apply`` as library calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opensearchpy import OpenSearch

from ..errors import ArtifactError
from .kinds import KINDS
from .model import ArtifactSet, PlanItem, Problem, find_root


def load_artifacts(root: str | Path | None = None) -> ArtifactSet:
    """Every artifact under ``root`` (problems found while reading are kept, not raised)."""
    artifacts = ArtifactSet(find_root(root))
    for kind in KINDS:
        loaded, problems = kind.load(artifacts.root)
        artifacts.by_kind[kind.name] = loaded
        artifacts.problems += problems
    return artifacts


def validate(artifacts: ArtifactSet) -> list[Problem]:
    """Every problem: syntax, each file alone, and every cross-reference."""
    problems = list(artifacts.problems)
    for kind in KINDS:
        problems += kind.validate(artifacts)
    return problems


def make_plan(client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]:
    """What ``apply`` would do, artifact by artifact; refuses invalid artifacts."""
    problems = validate(artifacts)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more; run mutuo validate)" if len(problems) > 1 else ""
        raise ArtifactError(first.path, first.pointer, first.message + more)
    items: list[PlanItem] = []
    for kind in KINDS:
        items += kind.plan(client, artifacts)
    return items


def apply_plan(client: OpenSearch, plan: list[PlanItem], log: Callable[[str], None]) -> int:
    """Run every step that changes something, in order; the number of steps run."""
    errors = [item for item in plan if item.action == "error"]
    if errors:
        raise ArtifactError(f"{errors[0].kind} {errors[0].name}", "", errors[0].detail)
    done = 0
    for item in plan:
        if item.action == "unchanged" or item.run is None:
            continue
        item.run(client, log)
        log(f"{item.action} {item.kind} {item.name}")
        done += 1
    return done
