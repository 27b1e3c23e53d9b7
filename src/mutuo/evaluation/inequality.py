"""How evenly attention spreads over members: the Lorenz curve and the Gini coefficient.

In a marketplace a few members tend to collect most impressions and likes; the Gini
coefficient of per-member counts is 0 when everyone gets the same and approaches 1 when
one member gets everything. Members with a count of 0 are part of the population and
must be passed in, or the figure flatters the ranking.
"""

from __future__ import annotations

import numpy as np


def lorenz_curve(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(population share, share of the total) at 0, 1/n, ..., 1, poorest first."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    if len(values) == 0:
        raise ValueError("a Lorenz curve needs at least one member")
    if (values < 0).any():
        raise ValueError("counts must be non-negative")
    total = values.sum()
    cumulative = np.cumsum(values) / total if total > 0 else np.linspace(0, 1, len(values) + 1)[1:]
    population = np.arange(len(values) + 1) / len(values)
    return population, np.r_[0.0, cumulative]


def gini(counts: np.ndarray) -> float:
    """Gini coefficient: ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)``; 0 when all are equal
    (including all zero)."""
    values = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(values)
    if n == 0:
        raise ValueError("the Gini coefficient needs at least one member")
    total = values.sum()
    if total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(np.sum((2 * ranks - n - 1) * values) / (n * total))
