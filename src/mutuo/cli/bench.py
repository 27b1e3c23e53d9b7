"""``mutuo bench``: one subcommand per benchmark (see ``mutuo.bench``)."""

from __future__ import annotations

import json
import subprocess
import sys

import click


@click.group()
def bench() -> None:
    """Measure speed with JSON output and a raw baseline from the same run.

    \b
    Example:
      mutuo bench engine --docs 100000 --json
    """


@click.command(name="all")
@click.option("--only", multiple=True, help="Run only these benchmarks (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the combined report as JSON.")
def run_all(only: tuple[str, ...], as_json: bool) -> None:
    """Run every benchmark with its defaults, each in its own process (memory and
    caches of one never flatter the next); prints one report per benchmark.

    \b
    Example:
      mutuo bench all --json > bench-results.json
    """
    names = [n for n in sorted(bench.commands) if n != "all" and (not only or n in only)]
    reports = {}
    for name in names:
        click.echo(f"running bench {name} ...", err=True)
        done = subprocess.run(
            [sys.executable, "-c", "from mutuo.cli import main; main()", "bench", name, "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            reports[name] = {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
            continue
        reports[name] = json.loads(done.stdout)
    if as_json:
        click.echo(json.dumps(reports, indent=2))
    else:
        for name, report in reports.items():
            click.echo(f"== {name}")
            click.echo(json.dumps(report, indent=2))


def register(group: click.Group) -> None:
    from ..bench import engine as engine_bench
    from ..bench import knn as knn_bench
    from ..bench import ltr as ltr_bench
    from ..bench import recommend as recommend_bench
    from ..bench import recommend_designs
    from ..bench import search as search_bench
    from ..bench import signals as signals_bench
    from ..bench import sync as sync_bench

    for module in (
        engine_bench,
        knn_bench,
        ltr_bench,
        recommend_bench,
        recommend_designs,
        search_bench,
        signals_bench,
        sync_bench,
    ):
        bench.add_command(module.command)
    bench.add_command(run_all)
    group.add_command(bench)
