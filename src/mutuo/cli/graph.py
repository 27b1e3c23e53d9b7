"""``mutuo graph``: collaborative ``graph_vector`` from the like/match graph."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console

from ..client import connect
from ..graph import GraphBuildOptions, build_graph
from ..graph.basis import DEFAULT_STATE


@click.group(name="graph")
def graph_group() -> None:
    """The like graph: member vectors for candidates and LTR features (docs/graph.md)."""


@graph_group.command(name="build")
@click.option("--full", is_flag=True, help="Factorise the whole graph again.")
@click.option("--state", "state_dir", default=str(DEFAULT_STATE), show_default=True)
@click.option(
    "--max-folded-share",
    default=0.25,
    show_default=True,
    help="Refactorise once this share of the basis was folded in since the last full build.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the sparse SVD.")
@click.option("--silent", is_flag=True, help="No progress lines.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
@click.pass_context
def build_command(
    ctx: click.Context,
    full: bool,
    state_dir: str,
    max_folded_share: float,
    seed: int,
    silent: bool,
    as_json: bool,
) -> None:
    """Compute graph_vector for members whose likes or matches changed, and write it.

    Run it on a schedule (e.g. hourly); the first run, and any run after much change,
    factorises the whole graph, the others fold changed members into the stored basis.

    \b
    Example:
      mutuo graph build
      mutuo graph build --full --json
    """
    options = GraphBuildOptions(
        state=Path(state_dir), full=full, max_folded_share=max_folded_share, seed=seed
    )
    console = Console(stderr=True)
    show = not silent and not as_json and sys.stderr.isatty()
    client = connect(ctx.obj["opensearch_url"])
    try:
        report = build_graph(
            client, options, on_stage=(lambda s: console.print(f"[dim]{s}…[/]")) if show else None
        )
    finally:
        client.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    click.echo(
        f"{report.mode} build ({report.reason}): {report.members} members, {report.edges} "
        f"edges, rank {report.rank}; wrote {report.written} graph vectors "
        f"({report.missing} members no longer in profiles, {report.without_vector} outside the "
        f"kept rank) in {report.seconds:.2f}s"
    )


def register(group: click.Group) -> None:
    group.add_command(graph_group)
