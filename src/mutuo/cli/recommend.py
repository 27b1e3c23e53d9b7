"""``mutuo recommend`` and ``mutuo search``: ask the stored templates, as an app would."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..client import connect
from ..recommend import RankingOptions, Recommendation, Recommendations, Recommender

_SHOWN = ("gender", "age", "city", "headline", "interests")


def _options(model: str | None, exposure: float | None, explore: float | None) -> RankingOptions:
    return RankingOptions(model=model, exposure_strength=exposure, explore_weight=explore)


def _ranking_flags(fn: Any) -> Any:
    fn = click.option(
        "--explore-weight", type=float, help="Weight of explore_bonus, in model score spreads."
    )(fn)
    fn = click.option(
        "--exposure-strength",
        type=float,
        help="Weight of exposure_balance, in model score spreads.",
    )(fn)
    fn = click.option("--model", help="LTR model (default: the promoted one).")(fn)
    fn = click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")(fn)
    fn = click.option("--explain", is_flag=True, help="Show each feature's contribution.")(fn)
    return click.option("--k", default=20, show_default=True, help="How many members.")(fn)


@click.command(name="recommend")
@click.argument("viewer")
@_ranking_flags
@click.pass_context
def recommend_command(
    ctx: click.Context,
    viewer: str,
    k: int,
    explain: bool,
    as_json: bool,
    model: str | None,
    exposure_strength: float | None,
    explore_weight: float | None,
) -> None:
    """Who member VIEWER should see next (the mutuo-recommend template).

    \b
    Example:
      mutuo recommend m000042 --k 10 --explain
    """
    client = connect(ctx.obj["opensearch_url"])
    try:
        options = _options(model, exposure_strength, explore_weight)
        result = Recommender(client, options=options).recommend(viewer, k=k, explain=explain)
    finally:
        client.close()
    show(result, explain, as_json)


@click.command(name="search")
@click.argument("text")
@click.option("--viewer", help="The signed-in member: their filters and LTR features apply.")
@_ranking_flags
@click.pass_context
def search_command(
    ctx: click.Context,
    text: str,
    viewer: str | None,
    k: int,
    explain: bool,
    as_json: bool,
    model: str | None,
    exposure_strength: float | None,
    explore_weight: float | None,
) -> None:
    """Members matching TEXT, BM25 and semantic, ranked for --viewer (mutuo-search).

    \b
    Example:
      mutuo search "climbing and jazz" --viewer m000042 --explain
    """
    client = connect(ctx.obj["opensearch_url"])
    try:
        options = _options(model, exposure_strength, explore_weight)
        recommender = Recommender(client, options=options)
        result = recommender.search(text, viewer_id=viewer, k=k, explain=explain)
    finally:
        client.close()
    show(result, explain, as_json)


def show(result: Recommendations, explain: bool, as_json: bool) -> None:
    """Print a list: JSON for machines, a table (and per-member explanations) for people."""
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
        return
    console = Console(width=max(100, Console().width))
    table = Table(title=f"{result.template} for {result.viewer_id or 'anyone'}")
    for column in ("#", "member", "score", *_SHOWN):
        table.add_column(column, overflow="fold")
    for r in result:
        cells = [_cell(r.profile.get(name)) for name in _SHOWN]
        table.add_row(str(r.rank), r.member_id, f"{r.score:.4f}", *cells)
    console.print(table)
    if explain:
        for r in result:
            console.print(explanation_table(r))


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def explanation_table(r: Recommendation) -> Table:
    """One member's features: value and contribution, largest effect first."""
    e = r.explanation
    title = f"#{r.rank} {r.member_id}: score {r.score:.4f}"
    if e is None:
        return Table(title=f"{title} (no explanation)")
    if e.model_score is not None:
        title += f" = model {e.model_score:.4f} + marketplace {e.marketplace or 0.0:.4f}"
    table = Table(title=title, title_justify="left")
    table.add_column("feature")
    table.add_column("value", justify="right")
    table.add_column("contribution", justify="right")
    known = sorted(e.features, key=lambda f: -abs(f.contribution or 0.0))
    for f in known:
        value = "missing" if f.value is None else f"{f.value:.4f}"
        contribution = "" if f.contribution is None else f"{f.contribution:+.4f}"
        table.add_row(f.name, value, contribution)
    if e.bias is not None:
        table.add_row("(bias)", "", f"{e.bias:+.4f}")
    return table


def register(group: click.Group) -> None:
    group.add_command(recommend_command)
    group.add_command(search_command)
