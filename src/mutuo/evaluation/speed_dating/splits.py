"""Train/test splits of the Speed Dating meetings, seeded.

``dates``: 30% of each participant's dates are held out. A meeting is held out for *both*
people in it, or the partner's decision about the viewer would be in the training events
and leak half of the mutual-match label. In every wave each of the ``W`` women met each of
the ``M`` men; women and men are put in a seeded random order and the meeting of the woman
at rank ``i`` and the man at rank ``j`` is held out when ``(i/W + j/M + offset) mod 1 <
0.3``. For one woman the ``j/M`` are evenly spaced over the unit interval, so an interval
of length 0.3 holds 30% of her dates rounded down or up; the same holds for every man. So
everyone loses 30% of their dates, give or take one, and no pair is split.

``waves``: whole waves (events) are held out until they hold 30% of the participants.
Nobody in a test wave has any history (cold start): their profiles are known, none of
their decisions are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .dataset import Meeting, SpeedDating

HELD_OUT_SHARE = 0.3
SPLITS = ("dates", "waves")


@dataclass(frozen=True)
class Split:
    name: str
    seed: int
    train: list[Meeting]
    test: list[Meeting]

    def held_out_share(self) -> dict[str, float]:
        """Min, mean and max over participants of the share of their dates held out."""
        total: dict[int, int] = defaultdict(int)
        held: dict[int, int] = defaultdict(int)
        for meetings, counter in ((self.train, None), (self.test, held)):
            for m in meetings:
                for iid in (m.a, m.b):
                    total[iid] += 1
                    if counter is not None:
                        counter[iid] += 1
        shares = np.array([held[iid] / n for iid, n in total.items()])
        return {
            "min": round(float(shares.min()), 3),
            "mean": round(float(shares.mean()), 3),
            "max": round(float(shares.max()), 3),
        }


def _seeded_ranks(ids: list[int], rng: np.random.Generator) -> dict[int, int]:
    order = rng.permutation(sorted(ids))
    return {int(iid): rank for rank, iid in enumerate(order)}


def split_dates(data: SpeedDating, seed: int, share: float = HELD_OUT_SHARE) -> Split:
    rng = np.random.default_rng(seed)
    by_wave: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in data.meetings:
        by_wave[meeting.wave].append(meeting)
    train: list[Meeting] = []
    test: list[Meeting] = []
    for wave in sorted(by_wave):
        meetings = by_wave[wave]
        people = sorted({iid for m in meetings for iid in (m.a, m.b)})
        women = [i for i in people if data.participants[i].gender == "woman"]
        men = [i for i in people if data.participants[i].gender == "man"]
        rank = {**_seeded_ranks(women, rng), **_seeded_ranks(men, rng)}
        scale = {**dict.fromkeys(women, len(men)), **dict.fromkeys(men, len(women))}
        cells = len(women) * len(men)  # integers: (i/W + j/M) * W * M = i*M + j*W
        offset = int(rng.integers(cells))
        for m in meetings:
            position = (rank[m.a] * scale[m.a] + rank[m.b] * scale[m.b] + offset) % cells
            (test if position < share * cells else train).append(m)
    return Split("dates", seed, train, test)


def split_waves(data: SpeedDating, seed: int, share: float = HELD_OUT_SHARE) -> Split:
    rng = np.random.default_rng(seed)
    size: dict[int, int] = defaultdict(int)
    for participant in data.participants.values():
        size[participant.wave] += 1
    target = share * len(data.participants)
    test_waves: set[int] = set()
    for wave in rng.permutation(sorted(size)):
        if sum(size[w] for w in test_waves) >= target:
            break
        test_waves.add(int(wave))
    train = [m for m in data.meetings if m.wave not in test_waves]
    test = [m for m in data.meetings if m.wave in test_waves]
    return Split("waves", seed, train, test)


def make_split(data: SpeedDating, name: str, seed: int) -> Split:
    if name == "dates":
        return split_dates(data, seed)
    if name == "waves":
        return split_waves(data, seed)
    raise ValueError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")


def training_folds(split: Split, folds: int) -> list[set[Meeting]]:
    """The training meetings cut into ``folds`` seeded parts, by the split's own unit:
    single meetings for ``dates``, whole waves for ``waves``. A learned ranker logs a fold's
    training lists in a world built without that fold, so its features never contain the
    outcome they are trained to predict, just as a test meeting is absent from the world
    it is ranked in (and, for ``waves``, the fold's members are as new as the test ones)."""
    rng = np.random.default_rng([split.seed, folds])
    if split.name == "waves":
        waves = sorted({m.wave for m in split.train})
        part = {int(w): i % folds for i, w in enumerate(rng.permutation(waves))}
        key = [part[m.wave] for m in split.train]
    else:
        key = [int(i) % folds for i in rng.permutation(len(split.train))]
    out: list[set[Meeting]] = [set() for _ in range(folds)]
    for meeting, fold in zip(split.train, key, strict=True):
        out[fold].add(meeting)
    return out
