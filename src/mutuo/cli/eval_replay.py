"""``mutuo eval replay``: judge a stored LTR model on logged impressions before promoting it."""

from __future__ import annotations

import json
from datetime import datetime

import click


@click.command(name="replay")
@click.option("--model", required=True, help="Name of a model in the LTR feature store.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Only impressions logged at or after this time (UTC).",
)
@click.option("--k", default=10, show_default=True, help="Rank cut-off of NDCG and DCG.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def replay(ctx: click.Context, model: str, since: datetime | None, k: int, as_json: bool) -> None:
    """Re-rank every logged impression list (ubi_events, signals applied) with MODEL
    through sltr and estimate how it would have done: NDCG@k of the logged outcomes,
    position-based IPS and self-normalised IPS DCG@k, beside the logged order's own.

    \b
    Example:
      mutuo eval replay --model mutuo-people-v2 --since 2026-11-01 --json
    """
    from ..client import connect
    from ..evaluation.replay_engine import replay as run_replay

    client = connect((ctx.obj or {}).get("opensearch_url"))
    report = run_replay(client, model, since, k)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for name in ("candidate", "logged_policy"):
        values = ", ".join(f"{key} {value}" for key, value in report[name].items())
        click.echo(f"{name}: {values}")
