"""The docker suite: real OpenSearch and MongoDB from the project's docker-compose.yml.

Skipped, with the reason, where no Docker engine answers (``docker info`` fails): our
build machines have the docker client but no daemon.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def docker_engine_problem() -> str | None:
    """Why the docker suite cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    try:
        probe = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        return "docker info timed out"
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return f"no Docker engine reachable ({last})"
    return None


_PROBLEM = docker_engine_problem()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _PROBLEM is None:
        return
    skip = pytest.mark.skip(reason=f"docker suite skipped: {_PROBLEM}")
    for item in items:
        if "tests/docker" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    # the worker service is not started: the tests drive their own workers
    return ["up --build --wait opensearch mongo"]
