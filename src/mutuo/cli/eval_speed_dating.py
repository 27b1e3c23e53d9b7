"""``mutuo eval speed-dating``: reciprocal ranking quality on real two-sided decisions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .eval_options import results_options

RANKERS_HELP = "Comma-separated rankers to run (default: all)."


@click.command(name="speed-dating")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--split",
    "split_name",
    type=click.Choice(["dates", "waves"]),
    default="dates",
    show_default=True,
    help="dates: hold out 30% of each participant's dates; waves: hold out whole "
    "events (every test participant is new).",
)
@click.option("--seed", default=0, show_default=True, help="Split, shuffle and bootstrap seed.")
@click.option("--rankers", default=None, help=RANKERS_HELP)
@results_options
def speed_dating(
    path: Path,
    split_name: str,
    seed: int,
    rankers: str | None,
    as_json: bool,
    report_dir: Path | None,
) -> None:
    """Rank each test participant's held-out partners of the Columbia Speed Dating
    Experiment with every ranker, and score mutual matches and one-sided likes
    (NDCG@5, NDCG@10, precision@3, AUC) with bootstrap intervals over participants.

    \b
    Example:
      mutuo eval speed-dating ../shared/data/speed_dating --split dates --json
      mutuo eval speed-dating ../shared/data/speed_dating --split waves --report out/sd
    """
    from ..evaluation.speed_dating.rankers import select_rankers
    from ..evaluation.speed_dating.run import evaluate

    factories = select_rankers(rankers)
    status = Console(stderr=True, quiet=as_json)
    result = evaluate(
        path, split_name, seed, factories, progress=lambda m: status.print(f"[dim]{m}[/]")
    )
    report = result.to_json()
    if report_dir is not None:
        from ..evaluation.report.speed_dating import write_speed_dating_report

        command = f"mutuo eval speed-dating {path} --split {split_name} --seed {seed}"
        if rankers:
            command += f" --rankers {rankers}"
        page = write_speed_dating_report(result, report_dir, command)
        status.print(f"report written to {page}")
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    _print(report)


def _print(report: dict[str, Any]) -> None:
    console = Console()
    for label in ("mutual", "like"):
        table = Table(title=f"{report['split']} split, seed {report['seed']}: {label}")
        table.add_column("ranker")
        metrics = next(iter(report["rankers"].values()))[label]
        for metric in metrics:
            table.add_column(metric, justify="right")
        for name, summary in report["rankers"].items():
            table.add_row(
                name,
                *(
                    f"{s['estimate']:.3f} [{s['low']:.2f}-{s['high']:.2f}]"
                    for s in summary[label].values()
                ),
            )
        console.print(table)
    for name, by_label in report.get("gain", {}).items():
        g = by_label["mutual"]["ndcg@10"]
        console.print(
            f"{name}, mutual NDCG@10: {g['estimate']:+.1%} "
            f"[{g['low']:+.1%}, {g['high']:+.1%}] over {g['participants']} participants"
        )
