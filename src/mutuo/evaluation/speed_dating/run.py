"""``mutuo eval speed-dating``: every ranker on the same split, cases and seed.

:func:`evaluate` loads the data, splits it, builds each ranker on the training meetings
and scores the same test cases with all of them, then reports per ranker and label the
means with bootstrap intervals, and the relative gain of the reciprocal ranker over the
one-sided one (paired over participants).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .baselines import PopularityRanker, RandomRanker
from .dataset import SpeedDating, load
from .protocol import Ranker, ViewerCase, by_history, gain, per_viewer, summarise, viewer_cases
from .splits import Split, make_split

RankerFactory = Callable[[SpeedDating, Split, int], Ranker]
BASELINES: dict[str, RankerFactory] = {
    "random": lambda _data, _split, seed: RandomRanker(seed),
    "popularity": lambda _data, split, _seed: PopularityRanker(split.train),
}
GAIN = ("reciprocal", "one_sided")  # (treatment, control) of the headline comparison


@dataclass
class SpeedDatingResult:
    split: Split
    seed: int
    cases: list[ViewerCase]
    values: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # what each ranker reports of itself

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "split": self.split.name,
            "seed": self.seed,
            "meetings": {"train": len(self.split.train), "test": len(self.split.test)},
            "held_out_share_per_participant": self.split.held_out_share(),
            "test_participants": len(self.cases),
            "rankers": {name: summarise(v, self.seed) for name, v in self.values.items()},
        }
        treatment, control = GAIN
        if treatment in self.values and control in self.values:
            out["gain"] = {
                f"{treatment}_vs_{control}": gain(
                    self.values[treatment], self.values[control], self.seed
                )
            }
        if self.details:
            out["details"] = self.details
        return out

    def ndcg_by_history(self, metric: str = "ndcg@10") -> dict[str, dict[int, float]]:
        return {name: by_history(self.cases, v, metric) for name, v in self.values.items()}


def evaluate(
    path: str | Path,
    split_name: str,
    seed: int,
    factories: dict[str, RankerFactory],
    progress: Callable[[str], None] = lambda _m: None,
) -> SpeedDatingResult:
    return evaluate_data(load(path), split_name, seed, factories, progress)


def evaluate_data(
    data: SpeedDating,
    split_name: str,
    seed: int,
    factories: dict[str, RankerFactory],
    progress: Callable[[str], None] = lambda _m: None,
) -> SpeedDatingResult:
    split = make_split(data, split_name, seed)
    result = SpeedDatingResult(split, seed, viewer_cases(split, seed))
    for name, factory in factories.items():
        progress(f"building {name}")
        ranker = factory(data, split, seed)
        progress(f"ranking with {name}")
        result.values[name] = per_viewer(result.cases, _scores(ranker, result.cases))
        report = getattr(ranker, "report", None)
        if callable(report):
            result.details[name] = report()
    return result


def _scores(ranker: Ranker, cases: Sequence[ViewerCase]) -> list[np.ndarray]:
    scores = ranker.score(cases)
    for case, s in zip(cases, scores, strict=True):
        if len(s) != len(case.candidates):
            raise ValueError(f"{ranker.name} scored {len(s)} of {len(case.candidates)} candidates")
    return scores
