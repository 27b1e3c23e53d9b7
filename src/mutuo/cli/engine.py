"""``mutuo engine``: tools for the embedded engine itself."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from ..engine.conformance import (
    FAILED,
    PASSED,
    SKIPPED,
    SuiteReport,
    TestResult,
    read_expected,
    run_suite,
    write_expected,
)


@click.group()
def engine() -> None:
    """Inspect and check the embedded OpenSearch engine."""


@engine.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--include", multiple=True, help="Only tests whose file or file::section match.")
@click.option("--exclude", multiple=True, help="Leave out tests whose file or file::section match.")
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
@click.option(
    "--fail-on-regression",
    type=click.Path(path_type=Path),
    help="CI gate: exit 1 only if a test listed in FILE (file::section per line) did not pass.",
)
@click.option(
    "--record-passes",
    type=click.Path(path_type=Path),
    help="Add this run's passes to FILE (entries are never removed: the list only grows).",
)
@click.option("--silent", is_flag=True, help="No progress bar.")
def conformance(
    paths: tuple[Path, ...],
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    as_json: bool,
    fail_on_regression: Path | None,
    record_passes: Path | None,
    silent: bool,
) -> None:
    """Run OpenSearch REST YAML tests against fresh in-memory embedded engines.

    Requests are built from the rest-api-spec/api/*.json files under PATHS and sent
    through opensearch-py. Exit status: 1 when any test failed; with
    --fail-on-regression FILE, 1 only when a test listed in FILE did not pass (the gate
    for an engine that does not pass everything yet).

    \b
    Examples:
      mutuo engine conformance ../shared/conformance --include 'bulk/*'
      mutuo engine conformance ../shared/conformance --json
      mutuo engine conformance ../shared/conformance \\
          --fail-on-regression tests/conformance/expected_passes.txt
    """
    report = _run(paths, include, exclude, show_progress=not (silent or as_json))
    if record_passes is not None:
        write_expected(
            record_passes,
            report.passed_ids(),
            "Conformance tests the embedded engine passes (file::section).\n"
            "Grown with `mutuo engine conformance PATH --record-passes FILE`; never shrink it.",
        )
    regressions = (
        report.regressions(read_expected(fail_on_regression)) if fail_on_regression else []
    )
    if as_json:
        payload = report.to_dict()
        if fail_on_regression is not None:
            payload["regressions"] = regressions
        click.echo(json.dumps(payload, indent=2))
    else:
        _print_summary(report, regressions if fail_on_regression else None)
    failed = regressions if fail_on_regression is not None else report.count(FAILED)
    sys.exit(1 if failed else 0)


def _run(
    paths: tuple[Path, ...], include: tuple[str, ...], exclude: tuple[str, ...], show_progress: bool
) -> SuiteReport:
    if not show_progress:
        return run_suite(paths, include, exclude)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("conformance", total=None)

        def advance(result: TestResult) -> None:
            progress.update(task, advance=1, description=result.file)

        return run_suite(paths, include, exclude, progress=advance)


def _print_summary(report: SuiteReport, regressions: list[str] | None) -> None:
    console = Console()
    table = Table(title=f"conformance: {report.files} files")
    for column in ("file", PASSED, FAILED, SKIPPED):
        table.add_column(column, justify="left" if column == "file" else "right")
    files: dict[str, dict[str, int]] = {}
    for result in report.results:
        counts = files.setdefault(result.file, {PASSED: 0, FAILED: 0, SKIPPED: 0})
        counts[result.status] += 1
    for name, counts in files.items():
        table.add_row(name, *(str(counts[s]) for s in (PASSED, FAILED, SKIPPED)))
    console.print(table)
    for result in report.results:
        if result.status != PASSED:
            style = "red" if result.status == FAILED else "yellow"
            line = Text(result.status, style=style)
            line.append(f" {result.test_id}: {result.reason[:200]}")
            console.print(line, highlight=False)
    console.print(
        f"[bold]{report.count(PASSED)} passed, {report.count(FAILED)} failed, "
        f"{report.count(SKIPPED)} skipped[/bold]"
    )
    if regressions is not None:
        if regressions:
            console.print(f"[red]{len(regressions)} regressions:[/red]")
            for test_id in regressions:
                console.print(Text(f"  {test_id}"), highlight=False)
        else:
            console.print("[green]no regressions against the expected-pass list[/green]")


def register(group: click.Group) -> None:
    group.add_command(engine)
