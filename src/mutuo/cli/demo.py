"""``mutuo demo``: a synthetic marketplace, synced into the embedded engine with embeddings.

The first part of the demo loop (issue 7 adds behaviour, signals, training and
recommendations): generate members into the change log, apply the artifacts, sync.
"""

from __future__ import annotations

import click

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..client import connect
from ..demo.changelog import write_population
from ..sync.config import load_mapping
from ..sync.embedder import Embedder
from ..sync.sources import FileSource
from ..sync.state import SyncState
from ..sync.worker import SyncWorker, WorkerOptions


@click.command()
@click.option("--members", default=2000, show_default=True, help="Members to generate.")
@click.option("--seed", default=7, show_default=True)
@click.option(
    "--log",
    "log_path",
    default=".mutuo/changes.jsonl",
    show_default=True,
    help="The change log (the sync's file:// source).",
)
@click.option("--state", "state_dir", default=".mutuo/sync/profiles", show_default=True)
@click.pass_context
def demo(ctx: click.Context, members: int, seed: int, log_path: str, state_dir: str) -> None:
    """Generate members into the change log and sync them, with embeddings.

    \b
    Example:
      mutuo demo --members 500
    """
    client = connect(ctx.obj["opensearch_url"])
    try:
        plan = make_plan(client, load_artifacts("."))
        applied = apply_plan(client, plan, lambda _m: None)
        click.echo(f"artifacts: {applied} change(s) applied")
        written = write_population(log_path, members, seed)
        click.echo(
            f"change log {log_path}: {written} member(s) written"
            if written
            else f"change log {log_path}: already written"
        )
        mapping = load_mapping("sync/profiles.yaml")
        source = FileSource(log_path, mapping.collection)
        state = SyncState(state_dir, source=source.description, mapping=mapping.name)
        try:
            summary = SyncWorker(
                client, mapping, source, state, Embedder(), WorkerOptions(once=True)
            ).run()
        finally:
            state.close()
        client.indices.refresh(index=mapping.index)
        count = client.count(index=mapping.index)["count"]
        click.echo(
            f"sync: {summary.run_changes} change(s) in {summary.seconds:.1f} s ({summary.totals.embedded} embedded); {mapping.index} holds {count} members"
        )
    finally:
        client.close()


def register(group: click.Group) -> None:
    group.add_command(demo)
