"""The signal math: decayed counters, smoothed rates, exposure_factor and explore_bonus.

Pure functions and a small accumulator, no I/O, so every formula is tested on its own and
the worker only moves documents. docs/signals.md states the same definitions for users.

**Decayed counters.** Every counter is a sum of exponentially decayed events:
``c(T) = sum_i exp(-(T - t_i) / tau)``, with the time constant ``tau`` equal to the
counter's window (1 day for ``impressions_1d``, 7 days for the ``*_7d`` ones; the half-life
is ``tau * ln 2``). A steady rate of ``r`` events per day then reads ``r * tau``, what a
sliding window of that length would count, but without keeping the events. A document
stores the counters as of one time (``signals_updated_at``); adding an event at time ``t``
first moves the reference to ``max(T, t)``. The sum does not depend on the order events
arrive in, which is what lets the worker apply a late event correctly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DAY_MS = 86_400_000.0

# counter -> time constant in days (the window it stands for)
COUNTERS: dict[str, float] = {
    "impressions_1d": 1.0,
    "impressions_7d": 7.0,
    "likes_received_7d": 7.0,
    "likes_sent_7d": 7.0,
    "matches_7d": 7.0,
    "received_7d": 7.0,  # likes and messages received: the attention a member must answer
    "answered_7d": 7.0,  # of those, the ones the member answered (like/pass/reply/match/block)
}


@dataclass(frozen=True)
class SignalsConfig:
    """Every constant of the signal definitions (docs/signals.md), with its reason."""

    # like_rate = (likes_received_7d + a) / (impressions_7d + a + b): Beta(1, 9), i.e. a prior
    # mean of 10 % worth ten impressions, so three impressions and one like is not 33 %.
    like_prior: tuple[float, float] = (1.0, 9.0)
    # reply_rate = (answered_7d + a) / (received_7d + a + b): Beta(2, 2), a neutral 50 %.
    reply_prior: tuple[float, float] = (2.0, 2.0)
    # Attention a member is assumed to handle per week before any evidence: the damping
    # starts once received likes clearly outrun answers, not at the first unanswered one.
    answer_capacity_7d: float = 5.0
    # Smoothing of the lift, in impressions: one, so a member never shown is lifted fully
    # as soon as the marketplace's mean (``exposure_target``, the mean impressions_7d of
    # active members) reaches three impressions a week; five (the former value) left the
    # never shown at a lift of 1.3 in a small or young marketplace, too weak to matter.
    exposure_smoothing: float = 1.0
    # Symmetric bounds (a halving at most, a doubling at most): exposure_balance maps them
    # onto [0, 1] in log scale, so a damp and a lift of the same ratio weigh the same.
    exposure_min: float = 0.5
    exposure_max: float = 2.0
    # New members: this many impressions are "bought" by the bonus, which also halves
    # every ``explore_half_life_days`` of membership, shown or not.
    explore_budget: float = 60.0
    explore_half_life_days: float = 3.0
    # taste_vector: the liked members' profile_vectors averaged with this time constant.
    taste_tau_days: float = 30.0
    # viewer_state.seen_ids keeps the most recent ids only; the rest may be shown again.
    seen_cap: int = 5000


def decay(value: float, from_ms: float, to_ms: float, tau_days: float) -> float:
    """``value`` counted at ``from_ms`` as seen from ``to_ms`` (never grows)."""
    if to_ms <= from_ms:
        return value
    return value * math.exp(-(to_ms - from_ms) / (tau_days * DAY_MS))


def smoothed_rate(successes: float, trials: float, prior: tuple[float, float]) -> float:
    """The posterior mean of a Beta(a, b) prior after ``successes`` of ``trials``."""
    a, b = prior
    return (successes + a) / (trials + a + b)


def exposure_factor(
    received_7d: float,
    answered_7d: float,
    impressions_7d: float,
    target_7d: float,
    config: SignalsConfig,
) -> float:
    """How much the marketplace rescore should lift (>1) or damp (<1) this member.

    ``damp = sqrt((C + answered) / (C + received))`` when more attention came in than was
    answered (C: ``answer_capacity_7d``): someone who answers what they get is not
    damped however popular, someone flooded with likes they never answer is.
    ``share = sqrt((target + s) / (impressions + s))``: above 1 (a lift) for a member shown
    less than the marketplace's mean (``target_7d``), below 1 for one shown more, 1 at the
    mean. Damping the over-shown matters as much as lifting the unseen: measured in the
    simulator, a lift alone left the Gini of impressions where it was, because the members
    who are never shown are mostly those few viewers can see, while attention concentrates
    on members every viewer can see and the model likes. The product is clipped to
    ``[exposure_min, exposure_max]``. Non-increasing in received likes and impressions,
    non-decreasing in answers.
    """
    capacity = config.answer_capacity_7d
    damp = 1.0
    if received_7d > answered_7d:
        damp = math.sqrt((capacity + answered_7d) / (capacity + received_7d))
    s = config.exposure_smoothing
    share = math.sqrt((target_7d + s) / (impressions_7d + s))
    return min(config.exposure_max, max(config.exposure_min, damp * share))


def exposure_balance(factor: float, config: SignalsConfig) -> float:
    """``exposure_factor`` on the bounded [0, 1] scale the marketplace rescore adds.

    ``log(factor / min) / log(max / min)``: 0 for the strongest damping, 1 for the
    strongest lift, 0.5 for a neutral factor of 1 with the default symmetric bounds. The
    rescore adds ``exposure_strength * score_spread * exposure_balance``, so the stage can
    move a candidate by at most ``exposure_strength`` model score spreads, whatever the
    factor; a ratio (log scale) because a halving and a doubling are equal and opposite.
    """
    low, high = config.exposure_min, config.exposure_max
    clipped = min(high, max(low, factor))
    return math.log(clipped / low) / math.log(high / low)


def explore_bonus(impressions_total: float, age_days: float | None, config: SignalsConfig) -> float:
    """The exploration budget left to a member, in [0, 1].

    ``(1 - impressions_total / budget) * 0.5 ** (age_days / half_life)``, clipped at 0:
    1 for a member who just joined and was never shown, falling as they are shown and as
    they age, 0 once the budget is spent. A member with no known join time gets none.
    """
    if age_days is None:
        return 0.0
    unspent = max(0.0, 1.0 - impressions_total / config.explore_budget)
    return unspent * 0.5 ** (max(0.0, age_days) / config.explore_half_life_days)


def unit(vector: Sequence[float] | np.ndarray) -> np.ndarray | None:
    """``vector`` scaled to length 1, or None for a zero vector (no direction)."""
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return None if norm == 0.0 or not math.isfinite(norm) else v / norm


@dataclass
class ProfileSignals:
    """One member's signal fields as read from ``profiles``, updated event by event.

    ``taste`` is the weighted mean of liked profile vectors (weights decayed with
    ``taste_tau_days``); it is stored as its direction (``taste_vector``, unit length,
    what cosine similarity reads) and its length (``taste_norm``) so the mean, and hence
    the next update, is exact.
    """

    as_of_ms: float | None
    counters: dict[str, float]
    impressions_total: float
    taste: np.ndarray | None
    taste_weight: float
    blocked_ids: list[str]
    seq: int
    created_ms: float | None
    config: SignalsConfig = field(default_factory=SignalsConfig)
    taste_changed: bool = False

    @classmethod
    def from_source(
        cls,
        source: Mapping[str, Any],
        *,
        as_of_ms: float | None,
        created_ms: float | None,
        config: SignalsConfig,
    ) -> ProfileSignals:
        """The signals of a ``profiles`` document; the caller parses its two dates."""
        taste = None
        if source.get("taste_vector") is not None:
            taste = np.asarray(source["taste_vector"], dtype=np.float64) * float(
                source.get("taste_norm") or 1.0
            )
        return cls(
            as_of_ms=as_of_ms,
            counters={name: float(source.get(name) or 0.0) for name in COUNTERS},
            impressions_total=float(source.get("impressions_total") or 0.0),
            taste=taste,
            taste_weight=float(source.get("taste_weight") or 0.0),
            blocked_ids=list(source.get("blocked_ids") or []),
            seq=int(source.get("signals_seq") or 0),
            created_ms=created_ms,
            config=config,
        )

    def advance(self, t_ms: float) -> None:
        """Move the reference time to ``t_ms`` if it is later, decaying what was counted."""
        if self.as_of_ms is not None and t_ms <= self.as_of_ms:
            return
        if self.as_of_ms is not None:
            for name, tau in COUNTERS.items():
                self.counters[name] = decay(self.counters[name], self.as_of_ms, t_ms, tau)
            self.taste_weight = decay(
                self.taste_weight, self.as_of_ms, t_ms, self.config.taste_tau_days
            )
        self.as_of_ms = t_ms

    def count(self, name: str, t_ms: float) -> None:
        """Add one event at ``t_ms`` to counter ``name`` (late events count decayed)."""
        self.advance(t_ms)
        assert self.as_of_ms is not None
        self.counters[name] += decay(1.0, t_ms, self.as_of_ms, COUNTERS[name])

    def like(self, profile_vector: Sequence[float] | np.ndarray, t_ms: float) -> None:
        """Fold a liked member's ``profile_vector`` into the taste mean."""
        direction = unit(profile_vector)
        if direction is None:
            return
        self.advance(t_ms)
        assert self.as_of_ms is not None
        weight = decay(1.0, t_ms, self.as_of_ms, self.config.taste_tau_days)
        self.taste_changed = True
        if self.taste is None or self.taste.shape != direction.shape or self.taste_weight <= 0:
            self.taste, self.taste_weight = direction * 1.0, weight
            return
        total = self.taste_weight + weight
        self.taste = (self.taste * self.taste_weight + direction * weight) / total
        self.taste_weight = total

    def block(self, other_id: str) -> None:
        if other_id not in self.blocked_ids:
            self.blocked_ids.append(other_id)

    def fields(self, now_ms: float, exposure_target: float) -> dict[str, Any]:
        """The partial document to write: counters decayed to ``now_ms``, derived signals,
        and the taste fields only when a like moved them (an unchanged vector is not sent)."""
        self.advance(now_ms)
        c, config = self.counters, self.config
        age_days = None if self.created_ms is None else (now_ms - self.created_ms) / DAY_MS
        out: dict[str, Any] = {name: round(value, 6) for name, value in c.items()}
        factor = exposure_factor(
            c["received_7d"], c["answered_7d"], c["impressions_7d"], exposure_target, config
        )
        out.update(
            impressions_total=int(self.impressions_total),
            like_rate=round(
                smoothed_rate(c["likes_received_7d"], c["impressions_7d"], config.like_prior), 6
            ),
            reply_rate=round(
                smoothed_rate(c["answered_7d"], c["received_7d"], config.reply_prior), 6
            ),
            exposure_factor=round(factor, 6),
            exposure_balance=round(exposure_balance(factor, config), 6),
            explore_bonus=round(explore_bonus(self.impressions_total, age_days, config), 6),
            blocked_ids=list(self.blocked_ids),
            signals_seq=self.seq,
            signals_updated_at=int(self.as_of_ms or now_ms),
        )
        direction = None if self.taste is None else unit(self.taste)
        if self.taste_changed and direction is not None and self.taste is not None:
            out["taste_vector"] = [round(float(x), 7) for x in direction]
            out["taste_norm"] = round(float(np.linalg.norm(self.taste)), 7)
            out["taste_weight"] = round(self.taste_weight, 6)
        return out
