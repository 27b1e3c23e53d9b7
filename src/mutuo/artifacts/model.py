"""Artifacts on disk: what a file holds, where a problem is, and the kinds that load them.

An *artifact kind* is one small module (``kinds/``) that knows its folder, loads its
files, checks them (alone and against other kinds), and plans their installation into a
cluster. ``mutuo validate`` and ``mutuo apply`` only iterate over :data:`kinds.KINDS`, so
a new kind (stored scripts, search pipelines, LTR feature sets) is one module and one
line in that list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson
import yaml
from opensearchpy import OpenSearch

from ..errors import ArtifactError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an artifact: the file, a JSON pointer into it, a sentence."""

    path: str
    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}{'#' + self.pointer if self.pointer else ''}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"file": self.path, "pointer": self.pointer, "message": self.message}


@dataclass(frozen=True)
class Artifact:
    kind: str
    name: str
    path: str  # relative to the artifacts root, for messages
    body: Any


@dataclass
class ArtifactSet:
    """Every artifact under one root, by kind, plus the problems found while loading."""

    root: Path
    by_kind: dict[str, list[Artifact]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def of(self, kind: str) -> list[Artifact]:
        return self.by_kind.get(kind, [])

    def get(self, kind: str, name: str) -> Artifact | None:
        return next((a for a in self.of(kind) if a.name == name), None)

    def bodies(self, kind: str) -> dict[str, Any]:
        return {a.name: a.body for a in self.of(kind)}


@dataclass
class PlanItem:
    """One step of ``mutuo apply``: what happens to one artifact, and how to do it."""

    kind: str
    name: str
    action: str  # create | update | reindex | unchanged
    detail: str = ""
    run: Callable[[OpenSearch, Callable[[str], None]], None] | None = None

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name, "action": self.action, "detail": self.detail}


class ArtifactKind(Protocol):
    """What every artifact kind module provides (see ``kinds/``)."""

    name: str
    folder: str

    def load(self, root: Path) -> tuple[list[Artifact], list[Problem]]: ...

    def validate(self, artifacts: ArtifactSet) -> list[Problem]: ...

    def plan(self, client: OpenSearch, artifacts: ArtifactSet) -> list[PlanItem]: ...


def read_file(root: Path, path: Path) -> tuple[Any, Problem | None]:
    """Parse a JSON or YAML file; a syntax error becomes a :class:`Problem`."""
    rel = str(path.relative_to(root))
    try:
        data = path.read_bytes()
        if path.suffix == ".json":
            return orjson.loads(data), None
        return yaml.safe_load(data), None
    except orjson.JSONDecodeError as exc:
        return None, Problem(rel, "", f"invalid JSON: {exc}")
    except yaml.YAMLError as exc:
        return None, Problem(rel, "", f"invalid YAML: {exc}")
    except OSError as exc:
        return None, Problem(rel, "", f"cannot read: {exc.strerror}")


def load_folder(
    root: Path, folder: str, kind: str, suffixes: tuple[str, ...] = (".json",)
) -> tuple[list[Artifact], list[Problem]]:
    """Every file of ``folder`` (not recursive) as an artifact named after its stem."""
    directory = root / folder
    artifacts: list[Artifact] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        return artifacts, problems
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix not in suffixes:
            continue
        body, problem = read_file(root, path)
        if problem is not None:
            problems.append(problem)
            continue
        rel = str(path.relative_to(root))
        if not isinstance(body, dict):
            problems.append(Problem(rel, "", "the file must hold one object"))
            continue
        artifacts.append(Artifact(kind, path.stem, rel, body))
    return artifacts, problems


def pointer(*parts: str | int) -> str:
    """A JSON pointer (RFC 6901) from path segments."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def find_root(start: str | Path | None) -> Path:
    """The artifacts root: the given folder, else the working directory."""
    root = Path(start or ".").resolve()
    if not (root / "index_templates").is_dir():
        raise ArtifactError(
            str(root),
            "",
            "no index_templates/ folder here; run from the project root or pass --artifacts DIR",
        )
    return root
