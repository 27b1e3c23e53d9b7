"""``mutuo eval simulate``: marketplace health of four arms in the seeded simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .eval_options import results_options


@click.command(name="simulate")
@click.option("--members", default=250, show_default=True, help="Members in the world.")
@click.option("--days", default=5, show_default=True, help="Simulated days.")
@click.option("--seed", default=7, show_default=True, help="World and behaviour seed.")
@click.option(
    "--policy",
    type=click.Choice(["recommend", "knn"]),
    default="recommend",
    show_default=True,
    help="recommend: the mutuo-recommend template (sltr + marketplace rescore); "
    "knn: the simulator's k-NN policy with the same marketplace rescore.",
)
@click.option(
    "--strength",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiplies the arms' marketplace strengths (recommend: exposure_strength 4 and "
    "explore_weight 2, in model score spreads, the template's defaults; knn: 0.5 and 0.5).",
)
@results_options
def simulate(
    members: int,
    days: int,
    seed: int,
    policy: str,
    strength: float,
    as_json: bool,
    report_dir: Path | None,
) -> None:
    """Run the same synthetic marketplace under four arms (no balancing or exploration,
    balancing only, exploration only, both) through the real serve -> event -> signals
    loop, and compare exposure inequality, liquidity and new members' times to first
    impression and match.

    \b
    Example:
      mutuo eval simulate --members 250 --days 5 --seed 7 --json
    """
    from ..evaluation.simulate import SimulateOptions, evaluate

    status = Console(stderr=True, quiet=as_json)
    options = SimulateOptions(members, days, seed, Path.cwd(), policy, strength)
    report, logs = evaluate(options, progress=lambda m: status.print(f"[dim]{m}[/]"))
    if report_dir is not None:
        from ..evaluation.report.simulate import write_simulate_report

        command = (
            f"mutuo eval simulate --members {members} --days {days} --seed {seed} --policy {policy}"
        )
        page = write_simulate_report(report, logs, report_dir, command)
        status.print(f"report written to {page}")
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    _print(report)


def _print(report: dict[str, Any]) -> None:
    table = Table(
        title=f"{report['members']} members, {report['days']} days, seed {report['seed']}"
    )
    table.add_column("metric")
    for arm in report["arms"]:
        table.add_column(arm, justify="right")
    for key in next(iter(report["arms"].values())):
        table.add_row(key, *(str(a.get(key)) for a in report["arms"].values()))
    console = Console()
    console.print(table)
    console.print(report["targets"])
