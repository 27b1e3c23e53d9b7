"""``mutuo signals``: keep profiles and viewer_state fresh from ``ubi_events``."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ..client import connect
from ..signals import PassResult, SignalsOptions, SignalsState, SignalsWorker
from ..signals.state import DEFAULT_STATE


@click.group(name="signals")
def signals_group() -> None:
    """Behaviour signals: counters, rates, taste vectors, exposure and viewer_state.

    \b
    Example:
      mutuo signals run --once --json
    """


@signals_group.command(name="run")
@click.option("--once", is_flag=True, help="Exit once caught up instead of following.")
@click.option("--batch-size", default=1000, show_default=True, help="Events per pass.")
@click.option(
    "--poll", "poll_s", default=0.2, show_default=True, help="Seconds between idle polls."
)
@click.option(
    "--sweep-age",
    "sweep_age_h",
    default=6.0,
    show_default=True,
    help="Recompute members untouched for this many hours (decay, explore bonus).",
)
@click.option("--state", "state_dir", default=str(DEFAULT_STATE), show_default=True)
@click.option("--silent", is_flag=True, help="No progress line.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.pass_context
def run_command(
    ctx: click.Context,
    once: bool,
    batch_size: int,
    poll_s: float,
    sweep_age_h: float,
    state_dir: str,
    silent: bool,
    as_json: bool,
) -> None:
    """Follow ubi_events and apply each event to both members within a second.

    Ctrl-C (SIGINT) or SIGTERM finishes the current pass, checkpoints and exits.

    \b
    Example:
      mutuo signals run
      mutuo signals run --once --json | jq .events_per_s
    """
    options = SignalsOptions(
        batch_size=batch_size, poll_s=poll_s, once=once, sweep_max_age_s=sweep_age_h * 3600
    )
    state = SignalsState(state_dir)
    client = connect(ctx.obj["opensearch_url"])
    try:
        worker = SignalsWorker(client, state, options)
        show = not silent and not as_json and sys.stderr.isatty()
        with _stop_on_signals(worker):
            summary = worker.run(on_pass=_progress_line if show else None)
    finally:
        client.close()
        state.close()
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
        return
    t = summary.totals
    click.echo(
        f"applied up to event {summary.applied_seq}: {t.get('applied', 0)} events, "
        f"{t.get('profiles_written', 0)} profile and {t.get('viewers_written', 0)} "
        f"viewer_state updates, {t.get('swept', 0)} members swept, "
        f"{t.get('conflicts', 0)} conflicts retried ({summary.events_per_s} events/s)"
    )


def _progress_line(result: PassResult) -> None:
    if result.taken or result.swept:
        click.echo(
            f"\r{result.taken} events, {result.swept} swept in {result.seconds * 1000:.0f} ms",
            err=True,
            nl=False,
        )


@contextmanager
def _stop_on_signals(worker: SignalsWorker) -> Iterator[None]:
    def handle(signum: int, frame: Any) -> None:
        click.echo("stopping after this pass", err=True)
        worker.stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def register(group: click.Group) -> None:
    group.add_command(signals_group)
