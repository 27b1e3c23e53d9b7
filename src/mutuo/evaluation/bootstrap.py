"""Bootstrap confidence intervals over units (participants, members), seeded.

Evaluations here average a per-unit value (a participant's NDCG@10, say). Resampling the
units with replacement and taking percentiles of the recomputed statistic gives an
interval that needs no normality assumption. Comparisons of two systems resample the
*same* units for both (a paired bootstrap), so the interval reflects how their difference
varies across people rather than the spread of each mean on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESAMPLES = 2000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate with its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0

    def as_dict(self, digits: int = 4) -> dict[str, float]:
        return {
            "estimate": round(self.estimate, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
        }


def _resample_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    if n == 0:
        raise ValueError("cannot bootstrap an empty sample")
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def _percentiles(samples: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def mean_interval(
    values: np.ndarray, seed: int = 0, resamples: int = RESAMPLES, level: float = LEVEL
) -> Interval:
    """The mean of ``values`` with a bootstrap interval over the units."""
    values = np.asarray(values, dtype=np.float64)
    means = values[_resample_indices(len(values), resamples, seed)].mean(axis=1)
    return Interval(float(values.mean()), *_percentiles(means, level))


def relative_gain_interval(
    treatment: np.ndarray,
    control: np.ndarray,
    seed: int = 0,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
) -> Interval:
    """``mean(treatment) / mean(control) - 1`` with a paired bootstrap interval.

    ``treatment[i]`` and ``control[i]`` are the same unit's values under two systems.
    """
    treatment = np.asarray(treatment, dtype=np.float64)
    control = np.asarray(control, dtype=np.float64)
    if treatment.shape != control.shape:
        raise ValueError("treatment and control must hold the same units")
    if control.mean() == 0.0:
        raise ValueError("the control's mean is 0: a relative gain is undefined")
    idx = _resample_indices(len(control), resamples, seed)
    control_means = control[idx].mean(axis=1)
    # a resample whose control mean is 0 has no relative gain; it cannot occur unless
    # nearly every unit scores 0, and is then dropped rather than divided by
    usable = control_means != 0.0
    gains = treatment[idx].mean(axis=1)[usable] / control_means[usable] - 1.0
    return Interval(float(treatment.mean() / control.mean() - 1.0), *_percentiles(gains, level))
