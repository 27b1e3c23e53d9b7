"""``mutuo eval``: quality evaluations with reproducible commands."""

from __future__ import annotations

import click


@click.group(name="eval")
def eval_group() -> None:
    """Evaluate ranking quality on real and simulated data."""


def register(group: click.Group) -> None:
    from .eval_check import check
    from .eval_replay import replay
    from .eval_simulate import simulate
    from .eval_speed_dating import speed_dating
    from .letor import letor

    eval_group.add_command(letor)
    eval_group.add_command(speed_dating)
    eval_group.add_command(check)
    eval_group.add_command(replay)
    eval_group.add_command(simulate)
    group.add_command(eval_group)
