"""``mutuo engine``: tools for the embedded engine itself."""

from __future__ import annotations

import click


@click.group()
def engine() -> None:
    """Inspect and check the embedded OpenSearch engine."""


def register(group: click.Group) -> None:
    group.add_command(engine)
