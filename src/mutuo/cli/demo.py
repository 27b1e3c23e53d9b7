"""``mutuo demo``: the whole product on a synthetic marketplace, on the embedded engine by
default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..client import connect
from ..demo.run import DemoOptions, DemoReport, run_demo
from ..demo.run import reset as reset_demo

DEMO_ENGINE = "embedded://.mutuo/demo/engine"
STEP_TITLES = {
    "apply": "Artifacts applied",
    "members": "Members synced from the change log",
    "simulate": "Behaviour simulated through ubi_events, signals kept fresh",
    "graph": "Graph vectors built",
    "ltr": "Ranking model trained on the logged lists and promoted",
    "showcase": "Recommendations",
}


@click.command()
@click.option("--members", default=1500, show_default=True, help="Synthetic members.")
@click.option("--days", default=2, show_default=True, help="Simulated days of behaviour.")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--reset",
    is_flag=True,
    help="Delete the demo's indices and state first (always done on the demo's own engine).",
)
@click.option("--directory", default=".mutuo/demo", show_default=True, help="Demo state.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def demo(
    ctx: click.Context,
    members: int,
    days: int,
    seed: int,
    reset: bool,
    directory: str,
    as_json: bool,
) -> None:
    """Generate a marketplace, sync it, simulate behaviour, run signals and the graph job,
    and show recommendations for a cold and a warm member.

    Without --opensearch-url the demo uses its own embedded engine (.mutuo/demo/engine)
    and starts afresh each time; with a cluster it refuses to touch existing profiles
    unless --reset is given.

    \b
    Example:
      mutuo demo
      mutuo demo --members 500 --days 2 --json
      mutuo --opensearch-url http://localhost:9200 demo --reset
    """
    url = ctx.obj.get("opensearch_url")
    options = DemoOptions(members=members, days=days, seed=seed, directory=Path(directory))
    console = Console(quiet=as_json)
    if not console.is_terminal:
        console = Console(quiet=as_json, width=140)  # piped output: room for the tables
    client = connect(url or DEMO_ENGINE)
    try:
        if reset or url is None:
            reset_demo(client, options.directory)
        report = run_demo(
            client,
            options,
            on_step=lambda name, summary: _step(console, name, summary),
            on_day=lambda day: _day(console, day),
        )
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, default=str))
        return
    _print(console, report)


def _step(console: Console, name: str, summary: dict[str, Any]) -> None:
    detail = ", ".join(f"{k} {_short(v)}" for k, v in summary.items() if k != "seconds")
    console.print(
        f"[green]✓[/] [bold]{STEP_TITLES.get(name, name)}[/] "
        f"[dim]({summary['seconds']:.1f}s)[/]  {detail}"
    )


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _day(console: Console, day: dict[str, Any]) -> None:
    detail = ", ".join(f"{k} {v}" for k, v in day.items() if k not in ("day", "seconds"))
    console.print(f"  [dim]day {day['day']} ({day['seconds']:.1f}s):[/] {detail}")


def _print(console: Console, report: DemoReport) -> None:
    m = report.metrics
    console.print(
        f"\n[bold]Marketplace after the simulation[/]: {m['impressions']} impressions, "
        f"{m['likes']} likes, {m['matches']} matches "
        f"({m['matches_per_1000_impressions']} per 1,000 impressions); "
        f"{m['members_with_match']:.1%} of members matched; Gini of impressions "
        f"{m['gini_impressions']}; results already seen or filtered: {m['served_violations']}"
    )
    for case in report.showcase:
        _print_case(console, case)
    console.print(f"\n[bold]Done in {report.seconds:.1f}s.[/]")


def _print_case(console: Console, case: dict[str, Any]) -> None:
    v = case["viewer"]
    history = "no taste vector yet" if not v["has_taste_vector"] else "has a taste vector"
    title = (
        f"{case['role'].upper()} member {v['id']}: {v['age']}, {v['gender']}, {v['city']}; "
        f"{v['likes_sent_7d']} likes given (7d), {history}; "
        f"interests: {', '.join(v['interests'] or [])}"
    )
    table = Table(title=title, title_justify="left")
    for column, justify in COLUMNS:
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for r in case["results"]:
        e = r.get("explanation") or {}
        table.add_row(
            str(r["rank"]),
            r["id"],
            f"{r['age']}, {r['headline']}",
            ", ".join(r["shared_interests"]),
            _signed(e.get("model_score")),
            _top(e),
            _signed(e.get("marketplace")),
            f"{r['hidden_like_probability']:.0%}",
        )
    console.print()
    console.print(table)
    console.print(
        "[dim]model: the promoted LTR model's score, with the features that moved it most "
        "(SHAP contributions); marketplace: + score spread x (exposure_strength x "
        "exposure_balance + explore_weight x explore_bonus), bounded; p(like): the "
        "simulation's hidden probability that the viewer likes them, never seen by the "
        "ranking[/]"
    )


COLUMNS = (
    ("#", "right"),
    ("member", "left"),
    ("age, headline", "left"),
    ("shared interests", "left"),
    ("model", "right"),
    ("top features", "left"),
    ("marketplace", "right"),
    ("p(like)", "right"),
)


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"


def _top(explanation: dict[str, Any]) -> str:
    return ", ".join(
        f"{f['name']} {f['contribution']:+.2f}"
        for f in explanation.get("top_features", [])[:2]
        if f.get("contribution") is not None
    )


def register(group: click.Group) -> None:
    group.add_command(demo)
