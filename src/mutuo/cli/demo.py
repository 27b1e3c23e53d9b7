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
from ..demo.run import DemoOptions, DemoReport, reset, run_demo

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
@click.option("--members", default=2000, show_default=True, help="Synthetic members.")
@click.option("--days", default=3, show_default=True, help="Simulated days of behaviour.")
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
    client = connect(url or DEMO_ENGINE)
    try:
        if reset or url is None:
            _reset(client, options.directory)
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


def _reset(client: Any, directory: Path) -> None:
    reset(client, directory)


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
        f"{case['role'].upper()} member {v['id']}: {v['age']}, {v['gender']}, {v['city']} — "
        f"{v['likes_sent_7d']} likes given (7d), {history}\n"
        f"[dim]interests: {', '.join(v['interests'] or [])}[/]"
    )
    table = Table(title=title, title_justify="left", expand=False)
    for column in ("#", "member", "age", "headline", "why (contributions to the score)"):
        table.add_column(column, overflow="fold")
    for r in case["results"]:
        table.add_row(str(r["rank"]), r["id"], str(r["age"]), str(r["headline"]), _why(r))
    console.print()
    console.print(table)


def _why(row: dict[str, Any]) -> str:
    e = row.get("explanation") or {}
    parts = []
    if e.get("model_score") is not None:
        top = ", ".join(
            f"{f['name']} {f['contribution']:+.2f}"
            for f in e.get("top_features", [])
            if f.get("contribution") is not None
        )
        parts.append(f"model {e['model_score']:+.2f} ({top})")
    if e.get("marketplace") is not None:
        parts.append(f"marketplace {e['marketplace']:+.2f}")
    if row["shared_interests"]:
        parts.append("shares " + ", ".join(row["shared_interests"]))
    if (row.get("explore_bonus") or 0.0) >= 0.05:
        parts.append(f"new (explore {row['explore_bonus']:.2f})")
    parts.append(f"[dim]hidden p(like) {row['hidden_like_probability']:.0%}[/]")
    return "; ".join(parts)


def register(group: click.Group) -> None:
    group.add_command(demo)
