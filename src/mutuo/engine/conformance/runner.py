"""Running REST YAML test files: one fresh in-memory engine per test section.

For every section: start an engine, run ``setup``, clear the stash, run the section's
steps, run ``teardown`` (also after a failure), close the engine (which wipes it). A
section is skipped, with the reason, when its ``skip`` says so or when it calls an API
that has no spec under the given paths.
"""

from __future__ import annotations

import fnmatch
import logging
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from opensearchpy import OpenSearch

from ..connection import EmbeddedConnection
from .api_spec import ApiSpec, load_specs
from .assertions import AssertionFailure
from .executor import StepRunner, api_names
from .report import FAILED, PASSED, SKIPPED, SuiteReport, TestResult
from .skip import ENGINE_EXCLUSIONS, skip_reason
from .stash import StashError
from .suite import Section, SuiteFormatError, TestFile, discover, load_file

log = logging.getLogger("mutuo.engine.conformance")

ClientFactory = Callable[[], OpenSearch]


def embedded_client() -> OpenSearch:
    """An opensearch-py client on a fresh in-memory embedded engine."""
    return OpenSearch(
        hosts=[{"host": "embedded", "port": 9200, "engine_path": ":memory:"}],
        connection_class=EmbeddedConnection,
    )


def selected(test_id: str, file_name: str, include: list[str], exclude: list[str]) -> bool:
    """``--include``/``--exclude`` globs match the file name or ``file::section``."""

    def hit(patterns: list[str]) -> bool:
        return any(
            fnmatch.fnmatchcase(file_name, p) or fnmatch.fnmatchcase(test_id, p) for p in patterns
        )

    return (not include or hit(include)) and not hit(exclude)


def run_suite(
    paths: Iterable[str | Path],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    client_factory: ClientFactory = embedded_client,
    progress: Callable[[TestResult], None] | None = None,
) -> SuiteReport:
    """Run every selected test section of the YAML files under ``paths``."""
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"conformance path {root} does not exist")
    specs = load_specs(roots)
    report = SuiteReport()
    inc, exc = list(include), list(exclude)
    with _expected_failures_unlogged():
        for path, name in discover(roots):
            report.files += 1
            for result in _run_file(path, name, specs, inc, exc, client_factory):
                report.results.append(result)
                if progress is not None:
                    progress(result)
    return report


@contextmanager
def _expected_failures_unlogged() -> Iterator[None]:
    """opensearch-py logs every 4xx as a warning; here most of them are what a test expects."""
    client_log = logging.getLogger("opensearch")
    level = client_log.level
    client_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        client_log.setLevel(level)


def _run_file(
    path: Path,
    name: str,
    specs: dict[str, ApiSpec],
    include: list[str],
    exclude: list[str],
    client_factory: ClientFactory,
) -> list[TestResult]:
    try:
        test_file = load_file(path, name)
    except SuiteFormatError as exc:
        return [TestResult(name, "(file)", FAILED, str(exc))]
    results = []
    file_skip = test_file.file_skip()
    for section in test_file.sections:
        test_id = f"{name}::{section.name}"
        if not selected(test_id, name, include, exclude):
            continue
        try:
            reason = _skip_reason(test_file, section, specs, file_skip)
        except ValueError as exc:  # a malformed skip is the test file's fault: report it
            results.append(TestResult(name, section.name, FAILED, f"invalid skip: {exc}"))
            continue
        if reason is not None:
            results.append(TestResult(name, section.name, SKIPPED, reason))
            continue
        results.append(run_section(test_file, section, specs, client_factory))
    return results


def _skip_reason(
    test_file: TestFile,
    section: Section,
    specs: dict[str, ApiSpec],
    file_skip: dict | None,
) -> str | None:
    if file_skip is not None and (reason := skip_reason(file_skip)):
        return reason
    excluded = ENGINE_EXCLUSIONS.get((test_file.path.name, section.name))
    if excluded is not None:
        return f"engine exclusion: {excluded}"
    first = section.steps[0] if section.steps else {}
    if "skip" in first and (reason := skip_reason(first["skip"] or {})):
        return reason
    steps = [*test_file.setup, *section.steps, *test_file.teardown]
    missing = sorted({api for api in api_names(steps) if api not in specs})
    if missing:
        return f"API [{', '.join(missing)}] has no rest-api-spec definition under the given paths"
    return None


def run_section(
    test_file: TestFile,
    section: Section,
    specs: dict[str, ApiSpec],
    client_factory: ClientFactory = embedded_client,
) -> TestResult:
    started = time.perf_counter()
    client = client_factory()
    failure: str | None = None
    try:
        runner = StepRunner(client, specs)
        try:
            runner.run(test_file.setup, "setup")
            runner.reset()
            runner.run(section.steps, "test")
        except (AssertionFailure, StashError, SuiteFormatError) as exc:
            failure = str(exc)
        except Exception as exc:  # a runner or client bug must not stop the suite
            log.debug("section %s crashed\n%s", section.name, traceback.format_exc())
            failure = f"runner error: {type(exc).__name__}: {exc}"
        try:
            runner.run(test_file.teardown, "teardown")
        except Exception as exc:
            failure = failure or f"teardown: {type(exc).__name__}: {exc}"
    finally:
        client.close()
    took = time.perf_counter() - started
    if failure is not None:
        return TestResult(test_file.name, section.name, FAILED, failure, took)
    return TestResult(test_file.name, section.name, PASSED, "", took)
