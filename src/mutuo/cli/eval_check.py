"""``mutuo eval check``: rerun the regression matrix and fail on drift."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

DEFAULT_MATRIX = Path("evaluation/expected.yaml")


@click.command(name="check")
@click.option(
    "--file",
    "matrix",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEFAULT_MATRIX,
    show_default=True,
    help="The regression matrix.",
)
@click.option("--fast", is_flag=True, help="Only the conditions marked fast (what CI runs).")
@click.option("--only", default=None, help="Comma-separated condition names.")
@click.option(
    "--isolated", is_flag=True, help="Run each command in a fresh process instead of this one."
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as JSON.")
def check(matrix: Path, fast: bool, only: str | None, isolated: bool, as_json: bool) -> None:
    """Rerun the commands of evaluation/expected.yaml and compare every reported value
    with its expectation; exit 1 when one drifted beyond its tolerance or failed.

    Commands run from the folder that holds the matrix's ``evaluation/`` folder, so the
    relative paths they use (../shared/data/...) mean the same as in the README.

    \b
    Example:
      mutuo eval check --fast
      mutuo eval check --only speed-dating-dates --json
    """
    from ..evaluation.regression import check as run_check
    from ..evaluation.regression import load_matrix, run_in_process, run_subprocess

    conditions = load_matrix(matrix)
    if fast:
        conditions = [c for c in conditions if c.fast]
    if only:
        names = {n.strip() for n in only.split(",")}
        conditions = [c for c in conditions if c.name in names]
    root = matrix.resolve().parent.parent
    status = Console(stderr=True, quiet=as_json)
    outcomes = run_check(
        conditions,
        root,
        runner=run_subprocess if isolated else run_in_process,
        progress=lambda m: status.print(f"[dim]{m}[/]"),
    )
    failed = [o for o in outcomes if o.status in ("drift", "error")]
    if as_json:
        click.echo(
            json.dumps(
                {"outcomes": [o.as_dict() for o in outcomes], "failed": len(failed)}, indent=2
            )
        )
    else:
        for o in outcomes:
            click.echo(f"{o.status.upper():7} {o.name}")
            for line in o.lines:
                click.echo(f"        {line}")
        click.echo(f"{len(outcomes) - len(failed)} of {len(outcomes)} conditions hold")
    if failed:
        raise click.exceptions.Exit(1)
