"""``mutuo sync``: run, backfill and inspect the sync worker."""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..client import connect
from ..sync.config import load_mapping
from ..sync.embedder import Embedder
from ..sync.logs import configure
from ..sync.metrics import SyncMetrics
from ..sync.sources import DEFAULT_SOURCE, open_source
from ..sync.state import SyncState
from ..sync.status import status
from ..sync.worker import Progress, SyncWorker, WorkerOptions

DEFAULT_MAPPING = "sync/profiles.yaml"


@click.group(name="sync")
def sync_group() -> None:
    """Mirror the source collection into the index, with embeddings.

    \b
    Example:
      mutuo sync run --source file://.mutuo/changes.jsonl
      mutuo sync status
    """


def _worker_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--source",
            envvar="MUTUO_SYNC_SOURCE",
            default=DEFAULT_SOURCE,
            show_default=True,
            help="file://PATH (a change log) or mongodb://HOST/DB?replicaSet=NAME.",
        ),
        click.option(
            "--mapping",
            "mapping_path",
            default=DEFAULT_MAPPING,
            show_default=True,
            help="The sync mapping (YAML).",
        ),
        click.option(
            "--state",
            "state_dir",
            default=None,
            help="State directory (checkpoint, embedding cache) [default: .mutuo/sync/MAPPING].",
        ),
        click.option(
            "--model",
            "model_path",
            default=None,
            help="A sentence-transformers model directory [default: all-MiniLM-L6-v2, bundled].",
        ),
        click.option(
            "--batch-size",
            default=256,
            show_default=True,
            help="Changes per batch (one _bulk each).",
        ),
        click.option(
            "--metrics-port", type=int, default=None, help="Serve Prometheus metrics on this port."
        ),
        click.option("--silent", is_flag=True, help="No progress bars."),
        click.option("--log-json", is_flag=True, help="Logs as JSON lines on stderr."),
        click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@sync_group.command(name="run")
@_worker_options
@click.option("--once", is_flag=True, help="Exit once caught up instead of following the source.")
@click.pass_context
def run_command(ctx: click.Context, once: bool, **kwargs: Any) -> None:
    """Follow the source and keep the index in sync (backfills first when new).

    Ctrl-C (SIGINT) or SIGTERM drains what was read, checkpoints and exits; a second
    signal exits without waiting for retries.

    \b
    Example:
      mutuo sync run --metrics-port 9464
      mutuo sync run --source 'mongodb://localhost:27017/app?replicaSet=rs0' --once
    """
    _run(ctx, WorkerOptions(batch_size=kwargs.pop("batch_size"), once=once), **kwargs)


@sync_group.command(name="backfill")
@_worker_options
@click.option("--follow", is_flag=True, help="Keep following the source after the backfill.")
@click.pass_context
def backfill_command(ctx: click.Context, follow: bool, **kwargs: Any) -> None:
    """Rebuild the index from the whole source, then (with --follow) keep following it.

    For MongoDB: record the change stream's start, scan the collection by _id (resumable
    after a crash), then replay the stream from the recorded start. For a change log:
    replay it from the first line.

    \b
    Example:
      mutuo sync backfill --source 'mongodb://localhost:27017/app?replicaSet=rs0'
    """
    _run(
        ctx,
        WorkerOptions(batch_size=kwargs.pop("batch_size"), once=not follow, backfill=True),
        **kwargs,
    )


@sync_group.command(name="status")
@click.option("--mapping", "mapping_path", default=DEFAULT_MAPPING, show_default=True)
@click.option(
    "--state", "state_dir", default=None, help="State directory [default: .mutuo/sync/MAPPING]."
)
@click.option("--json", "as_json", is_flag=True)
def status_command(mapping_path: str, state_dir: str | None, as_json: bool) -> None:
    """Lag, docs/s, errors and the last checkpoint of a worker.

    \b
    Example:
      mutuo sync status --json | jq .lag_s
    """
    directory = Path(state_dir or _default_state(mapping_path))
    report = status(directory)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    if report["checkpoint"] is None:
        click.echo(
            f"{directory}: no checkpoint yet ({'running' if report['running'] else 'not running'})"
        )
        return
    click.echo(
        f"worker:      {'running (pid ' + str(report['pid']) + ')' if report['running'] else 'not running'}"
    )
    click.echo(f"source:      {report['source']} -> mapping {report['mapping']}")
    click.echo(f"phase:       {report['phase']}{' (caught up)' if report['caught_up'] else ''}")
    click.echo(
        f"checkpoint:  {json.dumps(report['checkpoint'])} ({report['checkpoint_age_s']} s ago)"
    )
    click.echo(f"lag:         {report['lag_s']} s; rate {report['docs_per_s']} changes/s")
    if "backlog_bytes" in report:
        click.echo(f"backlog:     {report['backlog_bytes']} bytes of the log not yet read")
    click.echo(f"errors:      {report['errors']}")
    click.echo(f"totals:      {report['totals']}")


def _default_state(mapping_path: str) -> str:
    return str(Path(".mutuo") / "sync" / Path(mapping_path).stem)


def _run(
    ctx: click.Context,
    options: WorkerOptions,
    *,
    source: str,
    mapping_path: str,
    state_dir: str | None,
    model_path: str | None,
    metrics_port: int | None,
    silent: bool,
    log_json: bool,
    as_json: bool,
) -> None:
    configure(
        log_json,
        logging.DEBUG if ctx.obj.get("verbose") else logging.INFO if log_json else logging.WARNING,
    )
    mapping = load_mapping(mapping_path)
    src = open_source(source, mapping.collection)
    state = SyncState(
        state_dir or _default_state(mapping_path), source=src.description, mapping=mapping.name
    )
    client = connect(ctx.obj["opensearch_url"])
    metrics = SyncMetrics(mapping.name)
    try:
        embedder = Embedder(model_path) if mapping.embedding else None
        if metrics_port is not None:
            metrics.serve(metrics_port)
        show = not silent and not as_json and sys.stderr.isatty()
        with _progress(show, src, options) as on_progress:
            worker = SyncWorker(
                client, mapping, src, state, embedder, options, metrics, on_progress
            )
            with _signals(worker):
                summary = worker.run()
    finally:
        metrics.close()
        client.close()
        state.close()
        src.close()
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        t = summary.totals
        click.echo(
            f"{'stopped' if summary.stopped else 'done'}: {summary.run_changes} changes in {summary.seconds:.1f} s; totals: {t.indexed} indexed, {t.deleted} deleted, {t.stale} stale, {t.dead_letters} dead letters"
        )


@contextmanager
def _signals(worker: SyncWorker) -> Iterator[None]:
    """First SIGINT/SIGTERM: drain and checkpoint; second: stop retrying too."""
    calls = {"n": 0}

    def handle(signum: int, frame: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            click.echo(
                "stopping: draining and checkpointing (signal again to abandon retries)", err=True
            )
            worker.stop()
        else:
            worker.abort()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def _progress(
    show: bool, source: Any, options: WorkerOptions
) -> Iterator[Callable[[Progress], None] | None]:
    if not show:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import (
        Progress as Bar,
    )

    with Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task("sync", total=None, info="")

        def update(p: Progress) -> None:
            done, total = source.progress(p.position)
            t = p.totals
            info = f"{p.docs_per_s:.0f}/s lag {p.lag_s:.2f}s indexed {t.indexed} deleted {t.deleted} dead {t.dead_letters}"
            bar.update(
                task,
                completed=done,
                total=total,
                description=p.phase + (" ✓" if p.caught_up else ""),
                info=info,
            )

        yield update


def register(group: click.Group) -> None:
    group.add_command(sync_group)
