"""Fixtures of the evaluation tests: a small synthetic Speed Dating experiment (no shared
data needed)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from mutuo.evaluation.speed_dating.dataset import Meeting, Participant, SpeedDating


def synthetic_experiment(waves: int = 3, per_side: int = 8, seed: int = 0) -> SpeedDating:
    """Every woman meets every man of her wave; attractiveness drives the decisions."""
    rng = np.random.default_rng(seed)
    participants: dict[int, Participant] = {}
    meetings: list[Meeting] = []
    iid = 0
    for wave in range(1, waves + 1):
        sides: dict[str, list[int]] = {"woman": [], "man": []}
        for gender in sides:
            for _ in range(per_side):
                iid += 1
                sides[gender].append(iid)
                participants[iid] = Participant(
                    iid=iid,
                    wave=wave,
                    gender=gender,
                    age=int(rng.integers(21, 35)),
                    race=2,
                    field="Law",
                    field_code=1,
                    career="lawyer",
                    goal=2,
                    date_frequency=5,
                    go_out=2,
                    activities={"hiking": int(rng.integers(1, 11))},
                    preferences={},
                    self_ratings={},
                    importance_same_race=None,
                    importance_same_religion=None,
                    origin="",
                )
        appeal = {i: rng.random() for ids in sides.values() for i in ids}
        for order, w in enumerate(sides["woman"], 1):
            for m in sides["man"]:
                meetings.append(
                    Meeting(
                        wave,
                        w,
                        m,
                        order,
                        order,
                        bool(rng.random() < appeal[m]),
                        bool(rng.random() < appeal[w]),
                    )
                )
    return SpeedDating(participants, meetings)


@pytest.fixture
def experiment() -> Callable[..., SpeedDating]:
    return synthetic_experiment
