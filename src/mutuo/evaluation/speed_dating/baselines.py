"""Rankers that need no model: random and popularity.

Both are lower bounds any recommender must beat. Popularity ranks a candidate by the share
of their training meetings in which the partner said yes (add-one smoothed, so a candidate
met once who was liked once does not outrank one liked 9 times out of 10). In cold start
(the ``waves`` split) no candidate has training meetings, every score is equal and the
ranking is the seeded shuffle of the candidates: popularity knows nothing about a newcomer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .dataset import Meeting
from .protocol import ViewerCase


class RandomRanker:
    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def score(self, cases: Sequence[ViewerCase]) -> list[np.ndarray]:
        return [
            np.random.default_rng([self.seed, 1, case.viewer]).random(len(case.candidates))
            for case in cases
        ]


class PopularityRanker:
    name = "popularity"

    def __init__(self, train: Sequence[Meeting]) -> None:
        self.likes: Counter[int] = Counter()
        self.meetings: Counter[int] = Counter()
        for m in train:
            self.meetings.update((m.a, m.b))
            self.likes[m.b] += m.a_likes_b
            self.likes[m.a] += m.b_likes_a

    def like_rate(self, iid: int) -> float:
        return (self.likes[iid] + 1) / (self.meetings[iid] + 2)

    def score(self, cases: Sequence[ViewerCase]) -> list[np.ndarray]:
        return [np.array([self.like_rate(c) for c in case.candidates]) for case in cases]
