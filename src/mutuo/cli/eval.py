"""``mutuo eval``: quality evaluations with reproducible commands."""

from __future__ import annotations

import click


@click.group(name="eval")
def eval_group() -> None:
    """Evaluate ranking quality on real and simulated data."""


def register(group: click.Group) -> None:
    group.add_command(eval_group)
