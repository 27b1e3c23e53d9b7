"""Results of a conformance run, their JSON form, and the expected-pass list.

The expected-pass list (one ``file::section`` per line, ``#`` comments) is the CI gate:
the set of passing tests only grows, so a listed test that no longer passes is a
regression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass
class TestResult:
    file: str
    name: str
    status: str
    reason: str = ""
    seconds: float = 0.0

    @property
    def test_id(self) -> str:
        return f"{self.file}::{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "status": self.status, "reason": self.reason}


@dataclass
class SuiteReport:
    results: list[TestResult] = field(default_factory=list)
    files: int = 0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def passed_ids(self) -> set[str]:
        return {r.test_id for r in self.results if r.status == PASSED}

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.count(PASSED),
            "failed": self.count(FAILED),
            "skipped": self.count(SKIPPED),
            "tests": [r.to_dict() for r in self.results],
        }

    def regressions(self, expected: set[str]) -> list[str]:
        """Expected passes that did not pass in this run (missing ones included)."""
        return sorted(expected - self.passed_ids())


def read_expected(path: Path) -> set[str]:
    if not path.exists():
        return set()
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def write_expected(path: Path, passes: set[str], header: str) -> None:
    """Write the list, sorted; it keeps every earlier entry (the list only grows)."""
    merged = sorted(read_expected(path) | passes)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    path.write_text(comment + "".join(f"{line}\n" for line in merged), encoding="utf-8")
