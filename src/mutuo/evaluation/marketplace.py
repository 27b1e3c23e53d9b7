"""Marketplace health from what happened: who was shown, liked and matched, and when.

The figures a two-sided marketplace lives by, computed from behaviour events (the same
UBI events the product logs), never from the ranking's own bookkeeping:

* ``gini_impressions``, ``gini_likes_received``: how concentrated attention is over *all*
  members, including those never shown (a zero is part of the distribution);
* ``members_with_match``: the share of members with at least one match;
* ``matches_per_1000_impressions``: liquidity, what the attention produced;
* ``new_member_median_days_to_first_impression`` / ``..._to_first_match``: for members who
  joined during the run, the Kaplan-Meier median (members not yet shown or matched when
  the run ended are censored at their time as members, not dropped);
* ``served_violations``: results that were already seen by the viewer or should have
  been filtered out (checked by the driver against its ground truth as it served them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .inequality import gini, lorenz_curve
from .survival import median_time


@dataclass(frozen=True)
class Happening:
    """One event: ``actor`` did ``action`` to ``target`` at ``day`` (simulated days)."""

    day: float
    action: str
    actor: str
    target: str


@dataclass
class MarketplaceLog:
    """Members (with the day they joined; < start for the initial population), events
    and what the driver checked while serving."""

    joined: dict[str, float]
    start: float
    end: float
    happenings: list[Happening] = field(default_factory=list)
    served: int = 0
    violations: int = 0

    def add(self, events: Iterable[Happening]) -> None:
        self.happenings.extend(events)

    def new_members(self) -> list[str]:
        return sorted(m for m, day in self.joined.items() if day >= self.start)


def _per_member(log: MarketplaceLog, action: str, side: str) -> np.ndarray:
    counts = dict.fromkeys(log.joined, 0)
    for h in log.happenings:
        member = h.target if side == "target" else h.actor
        if h.action == action and member in counts:
            counts[member] += 1
    return np.array([counts[m] for m in sorted(counts)], dtype=np.float64)


def impressions_per_member(log: MarketplaceLog) -> np.ndarray:
    return _per_member(log, "impression", "target")


def likes_received_per_member(log: MarketplaceLog) -> np.ndarray:
    return _per_member(log, "like", "target")


def _first(log: MarketplaceLog, actions: set[str], both_sides: bool) -> dict[str, float]:
    first: dict[str, float] = {}
    for h in sorted(log.happenings, key=lambda h: h.day):
        if h.action not in actions:
            continue
        for member in (h.target, h.actor) if both_sides else (h.target,):
            first.setdefault(member, h.day)
    return first


def times_to_first(
    log: MarketplaceLog, actions: set[str], both_sides: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(days from joining to the first such event or to the end, observed?) per new member."""
    first = _first(log, actions, both_sides)
    durations, observed = [], []
    for member in log.new_members():
        joined = log.joined[member]
        seen = first.get(member)
        durations.append((seen if seen is not None else log.end) - joined)
        observed.append(seen is not None)
    return np.array(durations), np.array(observed, dtype=bool)


def _median(durations: np.ndarray, observed: np.ndarray) -> float | None:
    if not len(durations):
        return None
    value = median_time(durations, observed)
    return None if value is None else round(value, 3)


def marketplace_metrics(log: MarketplaceLog) -> dict[str, Any]:
    impressions = impressions_per_member(log)
    matches = _per_member(log, "match", "target") + _per_member(log, "match", "actor")
    total_impressions = float(impressions.sum())
    total_matches = sum(1 for h in log.happenings if h.action == "match")
    to_impression = times_to_first(log, {"impression"}, both_sides=False)
    to_match = times_to_first(log, {"match"}, both_sides=True)
    return {
        "members": len(log.joined),
        "new_members": len(log.new_members()),
        "impressions": int(total_impressions),
        "likes": sum(1 for h in log.happenings if h.action == "like"),
        "matches": total_matches,
        "gini_impressions": round(gini(impressions), 4),
        "gini_likes_received": round(gini(likes_received_per_member(log)), 4),
        "members_with_match": round(float(np.mean(matches > 0)), 4),
        "matches_per_1000_impressions": round(
            1000.0 * total_matches / total_impressions if total_impressions else 0.0, 3
        ),
        "new_member_median_days_to_first_impression": _median(*to_impression),
        "new_member_median_days_to_first_match": _median(*to_match),
        "new_members_matched": round(float(np.mean(to_match[1])), 4) if len(to_match[1]) else 0.0,
        # a median not reached (None) is longer than this: the longest a newcomer was followed
        "new_member_longest_follow_up_days": round(float(to_match[0].max()), 3)
        if len(to_match[0])
        else None,
        "served": log.served,
        "served_violations": log.violations,
        "served_violation_share": round(log.violations / log.served, 6) if log.served else 0.0,
    }


def lorenz_of_impressions(log: MarketplaceLog) -> tuple[np.ndarray, np.ndarray]:
    return lorenz_curve(impressions_per_member(log))
