"""Options every ``mutuo eval`` run shares: JSON output and an HTML report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def results_options(fn: F) -> F:
    """``--json`` (as ``as_json``) and ``--report DIR`` (as ``report_dir``)."""
    fn = click.option(
        "--report",
        "report_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Write an HTML page with plots into this folder.",
    )(fn)
    return click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")(fn)
