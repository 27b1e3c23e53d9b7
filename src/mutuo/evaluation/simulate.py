"""``mutuo eval simulate``: four arms of the same synthetic marketplace, measured alike.

Every arm runs the same seeded world (:func:`mutuo.simulation.generate_world`: members
with hidden tastes, limited attention, arrivals over time) for the same days on a fresh
in-memory engine, through the real loop (sync -> serve -> UBI events -> signals). The arms
differ only in the policy's marketplace rescore strengths:

* ``none``: neither balancing nor exploration;
* ``balancing``: ``exposure_factor`` lifts the under-exposed and damps the over-asked;
* ``exploration``: ``explore_bonus`` shows new members early;
* ``both``.

Two policies serve the arms: ``recommend`` (default) is the product itself, the stored
``mutuo-recommend`` template through :class:`mutuo.Recommender` (filters, k-NN and lexical
candidates, ``sltr`` with the installed model, then the marketplace rescore with
``exposure_strength`` and ``explore_weight`` set per arm); ``knn`` is the simulator's
k-NN policy with the same marketplace rescore and no LTR stage.

Metrics per arm come from :mod:`.marketplace` (from the behaviour events, not from the
ranking's bookkeeping). The targets of the issue are checked in ``targets``: exposure
Gini at least 30% lower with both than with neither, matches per 1,000 impressions at
least 97% of the unbalanced arm, and new members' median time to first match at least
halved. What is reached is reported as is.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..client import connect
from ..recommend.requests import RankingOptions
from ..simulation import (
    KnnPolicy,
    Onboarding,
    Policy,
    RecommenderPolicy,
    SimulationLog,
    World,
    generate_world,
)
from ..simulation import simulate as run_simulation
from ..sync.embedder import Embedder

# The (balancing, exploration) strengths of the arms that use them. For ``recommend`` they
# are the template's defaults, in units of the model's score spread; for ``knn`` they
# weigh exposure_factor and explore_bonus directly against cosine scores.
STRENGTH: dict[str, tuple[float, float]] = {"recommend": (4.0, 2.0), "knn": (0.5, 0.5)}
ARMS: dict[str, tuple[float, float]] = {
    "none": (0.0, 0.0),
    "balancing": (1.0, 0.0),
    "exploration": (0.0, 1.0),
    "both": (1.0, 1.0),
}  # which of the two strengths an arm uses
GINI_CUT = 0.30
LIQUIDITY_KEPT = 0.97
TIME_TO_MATCH_FACTOR = 0.5


POLICIES = ("recommend", "knn")


@dataclass(frozen=True)
class SimulateOptions:
    members: int = 250
    days: int = 5
    seed: int = 7
    root: Path = Path(".")
    policy: str = "recommend"
    strength: float = 1.0  # multiplies the policy's strengths (STRENGTH)
    # The world (README, "Marketplace simulator", says why): one city, so that members'
    # pools outgrow what they browse; newcomers a fifth of the members, joining during the
    # first half of the run so each is followed for at least half of it (a cohort: with
    # a tenth joining at any time, 25 newcomers followed 2.5 days on average, fewer than
    # half matched in any arm and no median time to first match was defined).
    one_city: bool = True
    arrival_share: float = 0.2
    arrival_window: float = 0.5  # share of the run during which newcomers join

    def world(self) -> World:
        return generate_world(
            self.members,
            self.days * self.arrival_window,
            self.arrival_share,
            seed=self.seed,
            one_city=self.one_city,
        )

    def rescore_strengths(self) -> tuple[float, float]:
        balancing, exploration = STRENGTH[self.policy]
        return balancing * self.strength, exploration * self.strength


def make_policy(kind: str, name: str, strengths: tuple[float, float]) -> Policy:
    """The arm ``name`` of policy ``kind``: the product (``RecommenderPolicy``, the
    template's strengths set per arm) or the k-NN baseline."""
    balancing, exploration = (share * s for share, s in zip(ARMS[name], strengths, strict=True))
    if kind == "knn":
        return KnnPolicy(name=name, balancing=balancing, exploration=exploration)
    options = RankingOptions(
        exposure_strength=balancing,
        explore_weight=exploration,
        balance_candidates=None if balancing or exploration else 0,
    )
    return RecommenderPolicy(name=name, options=options)


def run_arm(
    name: str,
    options: SimulateOptions,
    embedder: Embedder,
    workdir: Path,
    warm_cache: Path | None = None,
    policy: Policy | None = None,
) -> SimulationLog:
    """One arm on a fresh in-memory engine; ``warm_cache`` is an earlier arm's embedding
    cache, so the same members are not embedded again."""
    client = connect("embedded://:memory:")
    try:
        apply_plan(client, make_plan(client, load_artifacts(options.root)), lambda _m: None)
        world = options.world()
        onboarding = Onboarding(client, options.root, workdir / name, embedder, warm_cache)
        try:
            onboarding.add(world.initial())
            policy = policy or make_policy(options.policy, name, options.rescore_strengths())
            return run_simulation(client, world, options.days, policy, options.seed, onboarding)
        finally:
            onboarding.close()
    finally:
        client.close()


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return round(a / b, 4)


def targets(arms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's three targets, both arm against none: the ratio reached and whether
    it meets the target (None when a median is undefined in an arm)."""
    none, both = arms["none"], arms["both"]
    gini = _ratio(both["gini_impressions"], none["gini_impressions"])
    liquidity = _ratio(both["matches_per_1000_impressions"], none["matches_per_1000_impressions"])
    key = "new_member_median_days_to_first_match"
    time_to_match = _ratio(both.get(key), none.get(key))
    # none's median not reached: it exceeds the longest follow-up, so the ratio is at most
    # both's median over that follow-up
    at_most = None
    if time_to_match is None and both.get(key) is not None and none.get(key) is None:
        at_most = _ratio(both[key], none.get("new_member_longest_follow_up_days"))
    return {
        "gini_impressions_both_over_none": gini,
        "gini_cut_met": gini is not None and gini <= 1 - GINI_CUT,
        "liquidity_both_over_none": liquidity,
        "liquidity_met": liquidity is not None and liquidity >= LIQUIDITY_KEPT,
        "time_to_first_match_both_over_none": time_to_match,
        "time_to_first_match_both_over_none_at_most": at_most,
        "time_to_first_match_met": (time_to_match or at_most or 1.0) <= TIME_TO_MATCH_FACTOR,
    }


def evaluate(
    options: SimulateOptions, progress: Callable[[str], None] = lambda _m: None
) -> tuple[dict[str, Any], dict[str, SimulationLog]]:
    embedder = Embedder()
    logs: dict[str, SimulationLog] = {}
    with tempfile.TemporaryDirectory(prefix="mutuo-simulate-") as workdir:
        cache: Path | None = None
        for name in ARMS:
            progress(f"arm {name}: {options.members} members, {options.days} days")
            logs[name] = run_arm(name, options, embedder, Path(workdir), cache)
            cache = Path(workdir) / name / "sync" / "embeddings.sqlite"
    arms = {name: log.metrics() for name, log in logs.items()}
    report = {
        "members": options.members,
        "days": options.days,
        "seed": options.seed,
        "policy": options.policy,
        "strengths": dict(
            zip(("balancing", "exploration"), options.rescore_strengths(), strict=True)
        ),
        "world": {
            "one_city": options.one_city,
            "arrival_share": options.arrival_share,
            "arrival_window": options.arrival_window,
        },
        "arms": arms,
        "requests": {name: log.requests for name, log in logs.items()},
        "targets": targets(arms),
    }
    return report, logs
