"""Time-to-event with censoring: the Kaplan-Meier estimate and its median.

"How long until a new member's first match" is only observed for members who got one
before the simulation ended; the others are *censored* at the time they had been members.
Dropping them (or counting them as never) biases the median; the product-limit estimator
uses every member for as long as they were observed.
"""

from __future__ import annotations

import numpy as np


def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(times, survival just after each time) at the distinct observed event times.

    ``durations[i]`` is the time to the event when ``observed[i]``, else the time member
    ``i`` was followed without it.
    """
    durations = np.asarray(durations, dtype=np.float64)
    observed = np.asarray(observed, dtype=bool)
    if durations.shape != observed.shape:
        raise ValueError("durations and observed must have the same length")
    times = np.unique(durations[observed])
    survival = np.empty(len(times))
    current = 1.0
    for i, t in enumerate(times):
        at_risk = np.sum(durations >= t)
        events = np.sum((durations == t) & observed)
        current *= 1.0 - events / at_risk
        survival[i] = current
    return times, survival


def median_time(durations: np.ndarray, observed: np.ndarray) -> float | None:
    """The first time the Kaplan-Meier survival falls to 0.5 or below; None when it never
    does within the follow-up (fewer than half had the event, even counting censoring)."""
    times, survival = kaplan_meier(durations, observed)
    below = np.flatnonzero(survival <= 0.5)
    return float(times[below[0]]) if len(below) else None
