"""Reading REST YAML test files into sections.

A file is a stream of YAML documents, each a map with one key: ``setup``, ``teardown`` or
a test name, whose value is a list of steps. YAML is read like the Java runner reads it:
dates stay strings (PyYAML's timestamp resolver would turn ``2016-01-01`` into a
``date``), so values reach the engine exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Step = dict[str, Any]

_TEST_DIR = "rest-api-spec/test/"


class SuiteFormatError(ValueError):
    """A YAML file that is not a valid REST test file."""


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver (the Java runner keeps dates as text)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Section:
    name: str
    steps: list[Step]


@dataclass
class TestFile:
    path: Path
    name: str  # the name tests are reported under, e.g. ``bulk/10_basic.yml``
    setup: list[Step] = field(default_factory=list)
    teardown: list[Step] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def file_skip(self) -> Step | None:
        """A ``skip`` in setup or teardown skips the whole file."""
        for steps in (self.setup, self.teardown):
            if steps and "skip" in steps[0]:
                return steps[0]["skip"] or {}
        return None


def display_name(path: Path, root: Path) -> str:
    """``bulk/10_basic.yml`` for upstream layouts, else the path relative to ``root``."""
    text = path.as_posix()
    if _TEST_DIR in text:
        return text.rsplit(_TEST_DIR, 1)[1]
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def load_file(path: Path, name: str) -> TestFile:
    """Parse one test file; a structural problem raises :class:`SuiteFormatError`."""
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_Loader))
    except yaml.YAMLError as exc:
        raise SuiteFormatError(f"{path}: invalid YAML: {exc}") from None
    test_file = TestFile(path=path, name=name)
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict) or len(document) != 1:
            raise SuiteFormatError(f"{path}: each document must be a map with exactly one key")
        ((key, steps),) = document.items()
        steps = steps or []
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise SuiteFormatError(f"{path}: [{key}] must be a list of steps")
        if key == "setup":
            test_file.setup = steps
        elif key == "teardown":
            test_file.teardown = steps
        else:
            test_file.sections.append(Section(str(key), steps))
    return test_file


def discover(paths: list[Path]) -> list[tuple[Path, str]]:
    """Every ``*.yml`` test file under ``paths`` with its display name, in name order.

    Files under a ``rest-api-spec/api`` folder are specs, not tests; ``*.yaml`` files are
    ignored as the Java runner ignores them.
    """
    found: dict[Path, str] = {}
    for root in paths:
        root = root.resolve()
        candidates = [root] if root.is_file() else sorted(root.rglob("*.yml"))
        for path in candidates:
            if "/rest-api-spec/api/" in path.as_posix():
                continue
            found.setdefault(path, display_name(path, root if root.is_dir() else root.parent))
    names: dict[str, list[Path]] = {}
    for path, name in found.items():
        names.setdefault(name, []).append(path)
    out = []
    for name, group in names.items():
        for path in group:
            unique = name if len(group) == 1 else path.as_posix()
            out.append((path, unique))
    return sorted(out, key=lambda item: item[1])
