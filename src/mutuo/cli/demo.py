"""``mutuo demo``: the whole product on generated data, on the embedded engine by default."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from ..client import connect
from ..demo.run import run_demo


@click.command()
@click.option("--members", default=500, show_default=True, help="Synthetic members to generate.")
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def demo(ctx: click.Context, members: int, seed: int, as_json: bool) -> None:
    """Generate a synthetic marketplace, index it and search it.

    \b
    Example:
      mutuo demo --members 500
      mutuo --opensearch-url http://localhost:9200 demo
    """
    client = connect(ctx.obj.get("opensearch_url"))
    try:
        report = run_demo(client, members=members, seed=seed)
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps(report.__dict__, indent=2))
        return
    console = Console()
    console.print(f"[bold]Indexed {report.members} members[/] in {report.index_seconds:.2f}s")
    for search in report.searches:
        table = Table(title=f"{search['title']} ({search['total']} matches)")
        for column in ("id", "score", "age", "city", "headline"):
            table.add_column(column)
        for hit in search["hits"]:
            table.add_row(
                hit["id"], str(hit["score"]), str(hit["age"]), hit["city"], hit["headline"]
            )
        console.print(table)


def register(group: click.Group) -> None:
    group.add_command(demo)
