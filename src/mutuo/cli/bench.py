"""``mutuo bench``: one subcommand per benchmark (see ``mutuo.bench``)."""

from __future__ import annotations

import click


@click.group()
def bench() -> None:
    """Measure speed with JSON output and a raw baseline from the same run.

    \b
    Example:
      mutuo bench engine --docs 100000 --json
    """


def register(group: click.Group) -> None:
    from ..bench import engine as engine_bench
    from ..bench import knn as knn_bench
    from ..bench import ltr as ltr_bench
    from ..bench import search as search_bench
    from ..bench import signals as signals_bench
    from ..bench import sync as sync_bench

    for module in (engine_bench, knn_bench, ltr_bench, search_bench, signals_bench, sync_bench):
        bench.add_command(module.command)
    group.add_command(bench)
