"""The ``mutuo`` command line: thin click groups over the library.

Every command prints one line and exits 1 on a user error (``--verbose`` shows the
traceback); commands whose output a machine reads take ``--json``.
"""

from __future__ import annotations

import sys
import traceback

import click
from opensearchpy.exceptions import TransportError

from ..engine.errors import OpenSearchError
from ..errors import MutuoError
from .app import cli


def main() -> None:
    verbose = "--verbose" in sys.argv or "-v" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except (MutuoError, TransportError, OpenSearchError) as exc:
        if verbose:
            traceback.print_exc()
        click.echo(f"error: {_one_line(exc)}", err=True)
        sys.exit(1)


def _one_line(exc: Exception) -> str:
    if isinstance(exc, TransportError):
        info = exc.info if isinstance(exc.info, dict) else {}
        error = info.get("error") if isinstance(info, dict) else None
        if isinstance(error, dict):
            return f"{error.get('type')}: {error.get('reason')} (HTTP {exc.status_code})"
        return f"{exc.error} (HTTP {exc.status_code})"
    if isinstance(exc, OpenSearchError):  # raised by the embedded engine itself (a lock)
        return f"{exc.error_type}: {exc.reason}"
    return str(exc).replace("\n", " ")


__all__ = ["cli", "main"]
