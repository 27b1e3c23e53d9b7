"""``mutuo serve``: the embedded engine over HTTP on localhost."""

from __future__ import annotations

import gc
import signal

import click

from ..engine import Engine
from ..engine.server import make_server


@click.command()
@click.option(
    "--data",
    "data_path",
    default=".mutuo/engine",
    show_default=True,
    help="Engine data directory (the PATH of embedded://PATH).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9200, show_default=True, type=int)
def serve(data_path: str, host: str, port: int) -> None:
    """Serve the embedded engine over HTTP, like an OpenSearch node.

    \b
    Example:
      mutuo serve --data .mutuo/engine --port 9200 &
      curl -s localhost:9200/_cluster/health
    """
    engine = Engine(data_path)
    server = make_server(engine, host, port)
    # The opened engine (columns, postings, caches) lives as long as the process: frozen,
    # it is left out of full garbage collections, which otherwise walk it during requests
    # (measured: a recommend call's p50 through serve 36.6 -> 29.1 ms at 20k members).
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    click.echo(
        f"mutuo embedded engine serving {data_path} on http://{host}:{server.server_address[1]}"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        engine.close()


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    """``kill PID`` stops the server as Ctrl-C does: the engine closes cleanly."""
    raise KeyboardInterrupt


def register(group: click.Group) -> None:
    group.add_command(serve)
