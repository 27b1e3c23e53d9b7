"""The regression matrix: every reported number, the command that reproduces it, and the
tolerance within which a rerun must land (pyserini's ``2cr`` YAML, adapted).

``evaluation/expected.yaml`` lists *conditions*. Each has a ``command`` (a ``mutuo``
command line with ``--json``, run from the repository root), whether it is ``fast``
enough for CI, optional ``requires`` paths (the condition is skipped, with the reason,
when one is absent: the shared datasets live outside the project), and ``expect``: JSON
pointers into the command's output with the value and tolerance::

    conditions:
      - name: speed-dating-dates
        command: mutuo eval speed-dating ../shared/data/speed_dating --split dates --json
        fast: false
        requires: [../shared/data/speed_dating]
        expect:
          /rankers/reciprocal/mutual/ndcg@10/estimate: {value: 0.82, tolerance: 0.01}

:func:`check` reruns the conditions and reports each expectation that drifted.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from ..errors import ConfigError, MutuoError

CommandRunner = Callable[[list[str], Path], dict[str, Any]]


@dataclass(frozen=True)
class Expectation:
    pointer: str
    value: float
    tolerance: float


@dataclass(frozen=True)
class Condition:
    name: str
    command: str
    fast: bool
    expect: list[Expectation]
    requires: list[str] = field(default_factory=list)

    def arguments(self) -> list[str]:
        words = shlex.split(self.command)
        if not words or words[0] != "mutuo" or "--json" not in words:
            raise ConfigError(f"{self.name}: the command must be 'mutuo ... --json'")
        return words[1:]


@dataclass
class Outcome:
    """What a rerun of one condition gave."""

    name: str
    status: str  # "ok" | "drift" | "skipped" | "error"
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "details": self.lines}


def _expectation(name: str, pointer: str, spec: Any) -> Expectation:
    if not pointer.startswith("/") or not isinstance(spec, dict) or "value" not in spec:
        raise ConfigError(f"{name}: expect entries are '/json/pointer: {{value, tolerance}}'")
    return Expectation(pointer, float(spec["value"]), float(spec.get("tolerance", 0.0)))


def load_matrix(path: Path) -> list[Condition]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    conditions = []
    for entry in document.get("conditions", []):
        name = entry.get("name") or "?"
        if "command" not in entry or not entry.get("expect"):
            raise ConfigError(f"{path}: condition {name} needs a command and expect entries")
        conditions.append(
            Condition(
                name=name,
                command=entry["command"],
                fast=bool(entry.get("fast", False)),
                expect=[_expectation(name, p, s) for p, s in entry["expect"].items()],
                requires=list(entry.get("requires", [])),
            )
        )
    names = [c.name for c in conditions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path}: duplicate condition names: {', '.join(duplicates)}")
    return conditions


def resolve(document: Any, pointer: str) -> Any:
    """RFC 6901 JSON pointer lookup (``~1`` is ``/``, ``~0`` is ``~``)."""
    node = document
    for token in pointer.lstrip("/").split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise KeyError(pointer)
    return node


def run_in_process(arguments: list[str], cwd: Path) -> dict[str, Any]:
    """Run ``mutuo ARGS`` in this process with ``cwd`` as the working directory; its JSON
    output. Faster than a subprocess (the libraries and the embedding model load once)."""
    from ..cli.app import cli

    buffer = io.StringIO()
    previous = Path.cwd()
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(buffer):
            cli.main(arguments, prog_name="mutuo", standalone_mode=False)
    except click.exceptions.Exit as exc:
        if exc.exit_code:
            raise RuntimeError(f"exit {exc.exit_code}") from exc
    except (click.ClickException, MutuoError) as exc:
        raise RuntimeError(str(exc)) from exc
    finally:
        os.chdir(previous)
    result: dict[str, Any] = json.loads(buffer.getvalue())
    return result


def run_subprocess(arguments: list[str], cwd: Path) -> dict[str, Any]:
    """Run ``mutuo ARGS`` with this interpreter in a fresh process in ``cwd``; its JSON
    output (fully isolated, at the cost of importing everything again)."""
    process = subprocess.run(
        [sys.executable, "-m", "mutuo", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        tail = (process.stderr or process.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"exit {process.returncode}: {' / '.join(tail)}")
    result: dict[str, Any] = json.loads(process.stdout)
    return result


def compare(condition: Condition, output: dict[str, Any]) -> Outcome:
    outcome = Outcome(condition.name, "ok")
    for e in condition.expect:
        try:
            actual = float(resolve(output, e.pointer))
        except (KeyError, IndexError, ValueError, TypeError):
            outcome.status = "drift"
            outcome.lines.append(f"{e.pointer}: expected {e.value:g}, missing from the output")
            continue
        drift = actual - e.value
        within = abs(drift) <= e.tolerance + 1e-12
        outcome.lines.append(
            f"{e.pointer}: expected {e.value:g} ± {e.tolerance:g}, got {actual:g}"
            + ("" if within else f"  DRIFT {drift:+g}")
        )
        if not within:
            outcome.status = "drift"
    return outcome


def check(
    conditions: list[Condition],
    root: Path,
    runner: CommandRunner = run_in_process,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[Outcome]:
    """Rerun every condition from ``root`` and compare its output with the expectations."""
    outcomes = []
    for condition in conditions:
        missing = [p for p in condition.requires if not (root / p).exists()]
        if missing:
            outcomes.append(Outcome(condition.name, "skipped", [f"absent: {', '.join(missing)}"]))
            continue
        progress(f"{condition.name}: {condition.command}")
        try:
            output = runner(condition.arguments(), root)
        except (RuntimeError, ValueError) as exc:
            outcomes.append(Outcome(condition.name, "error", [str(exc)]))
            continue
        outcomes.append(compare(condition, output))
    return outcomes
