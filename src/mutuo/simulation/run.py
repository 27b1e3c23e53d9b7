"""The simulation loop: serve, behave, log, update signals, on simulated time.

Each simulated day is cut into ``ticks``. At every tick: members whose arrival time has
come are onboarded (change log -> sync); the members who open the app this tick (each
member on a given day with probability ``activity``, at a random tick) are served by the
policy through the engine, behave (:mod:`.behaviour`), and their events go through the
real event path (``ubi_queries`` for what was shown, ``ubi_events`` for what they did);
then the signals worker catches up on simulated time, so the next tick's queries see
the new counters, exposure factors, exploration bonuses and viewer_state, as a live
app would within a second. Optionally the graph job runs at the end of each day.

Every served list is checked against the simulator's ground truth as of the last signals
pass (already acted on, blocked either way, self, gender/seeking not mutual): a hit there
is a *violation*. An event is applied at the end of its tick, so what happened earlier in
the same tick is not yet known to the product; that lag is the simulation's granularity,
not the product's (whose signals apply within a second).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..evaluation.marketplace import Happening, MarketplaceLog, marketplace_metrics
from ..events import Event, log_query, record
from ..graph import GraphBuildOptions, build_graph
from ..signals import SignalsOptions, SignalsWorker
from .behaviour import BehaviourConfig, BehaviourModel, MemberState
from .onboarding import Onboarding
from .policy import Policy
from .world import World

DAY_S = 86_400.0


@dataclass(frozen=True)
class SimulationOptions:
    k: int = 10  # results per request
    ticks: int = 4  # per day; signals catch up after each
    graph: bool = False  # run `graph build` at the end of each day
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)


@dataclass
class SimulationLog:
    """What happened, in the evaluation's terms (:class:`MarketplaceLog`), plus counts."""

    marketplace: MarketplaceLog
    policy: str
    seed: int
    requests: int = 0
    empty_results: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    per_day: list[dict[str, Any]] = field(default_factory=list)
    signals: dict[str, int] = field(default_factory=dict)  # the signals worker's totals
    violations: list[tuple[str, str, str]] = field(default_factory=list)  # (viewer, id, why)
    seconds: float = 0.0

    def metrics(self) -> dict[str, Any]:
        return marketplace_metrics(self.marketplace)


class SimClock:
    """The simulated time, in epoch milliseconds, for the signals worker."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> float:
        return self.moment.timestamp() * 1000.0


def _joined_day(world: World, member_id: str) -> float:
    member = world.members[member_id]
    if member.joined_day > 0:
        return member.joined_day
    created = datetime.fromisoformat(member.profile["created_at"])
    return (created - world.start).total_seconds() / DAY_S


class Simulation:
    """One run; :func:`simulate` is the entry point."""

    def __init__(
        self,
        client: OpenSearch,
        world: World,
        policy: Policy,
        onboarding: Onboarding,
        seed: int,
        options: SimulationOptions,
    ) -> None:
        self.client, self.world, self.policy = client, world, policy
        self.onboarding, self.options = onboarding, options
        self.rng = random.Random(seed)
        self.behaviour = BehaviourModel(world, options.behaviour)
        self.applied = MemberState()  # what the product was told, as of the last signals pass
        self.clock = SimClock(world.start)
        self.signals = SignalsWorker(
            client,
            # the product's sweep age: exposure factors of members no event touches (the
            # never shown above all) follow the marketplace's mean within six hours
            options=SignalsOptions(once=True, batch_size=5000),
            clock=self.clock,
        )
        self.log = SimulationLog(MarketplaceLog({}, 0.0, 0.0), policy.name, seed)

    def onboard(self, until_day: float, after_day: float) -> None:
        arriving = self.world.arriving(after_day, until_day) if until_day > 0 else []
        members = self.world.initial() if after_day < 0 else arriving
        self.onboarding.add(members)
        for m in members:
            self.log.marketplace.joined[m.id] = _joined_day(self.world, m.id)

    def sessions(self, day: int) -> dict[int, list[str]]:
        """Who opens the app at which tick of ``day`` (drawn once per day, seeded): members
        already in, and members arriving that day, from the tick after they joined."""
        ticks = self.options.ticks
        arriving = {m.id: m.joined_day for m in self.world.arriving(day, day + 1)}
        by_tick: dict[int, list[str]] = {t: [] for t in range(ticks)}
        for member_id in sorted(self.onboarding.synced | set(arriving)):
            member = self.world.members[member_id]
            if self.rng.random() < member.activity:
                tick = self.rng.randrange(ticks)
                first = int((arriving[member_id] - day) * ticks) + 1 if member_id in arriving else 0
                if tick >= first:
                    by_tick[tick].append(member_id)
        return by_tick

    def violations(self, viewer: str, shown: list[str]) -> list[tuple[str, str, str]]:
        """Results the viewer must not get, as (viewer, result, reason): themselves, someone
        they already acted on, someone blocked either way, or not mutual by gender/seeking.
        Acts and blocks count once the signals worker has applied them (end of their tick)."""
        state, members = self.applied, self.world.members
        me = members[viewer].profile
        found = []
        for target in shown:
            other = members[target].profile
            reason = (
                "self"
                if target == viewer
                else "already acted on"
                if target in state.acted[viewer]
                else "blocked"
                if frozenset((viewer, target)) in state.blocked
                else "gender/seeking not mutual"
                if other["gender"] not in me["seeking"] or me["gender"] not in other["seeking"]
                else None
            )
            if reason is not None:
                found.append((viewer, target, reason))
        return found

    def serve(self, viewer: str) -> list[Event]:
        served = self.policy.serve(self.client, viewer, self.options.k)
        shown = [i for i in served.ids if i in self.world.members]
        self.log.requests += 1
        self.log.empty_results += not shown
        self.log.marketplace.served += len(shown)
        violations = self.violations(viewer, shown)
        self.log.marketplace.violations += len(violations)
        self.log.violations += violations
        query_id = served.query_id or log_query(
            self.client,
            viewer,
            shown,
            attributes={"policy": self.policy.name},
            timestamp=self.clock.moment,
        )
        return self.behaviour.session(viewer, shown, self.clock.moment, self.rng, query_id)

    def tick(self, day: int, tick: int, viewers: list[str]) -> None:
        start_day = day + tick / self.options.ticks
        end_day = day + (tick + 1) / self.options.ticks
        events: list[Event] = []
        for viewer in viewers:
            offset = self.rng.random() / self.options.ticks
            self.clock.moment = self.world.moment(start_day + offset)
            events += self.serve(viewer)
        self.clock.moment = self.world.moment(end_day)
        self.onboard(end_day, start_day)  # who joined during the tick is shown from the next
        record(self.client, events)
        for e in events:
            self.log.actions[e.action] += 1
            at = (e.timestamp - self.world.start).total_seconds() / DAY_S
            self.log.marketplace.happenings.append(
                Happening(at, e.action, e.viewer_id, e.target_id)
            )
        self.signals.catch_up()
        self.remember(events)

    def remember(self, events: list[Event]) -> None:
        """Events the signals worker has applied: any act makes the target seen by the
        actor (a match by both), a block hides the pair from each other."""
        for e in events:
            self.applied.acted[e.viewer_id].add(e.target_id)
            if e.action == "match":
                self.applied.acted[e.target_id].add(e.viewer_id)
            elif e.action in ("block", "report"):
                self.applied.blocked.add(frozenset((e.viewer_id, e.target_id)))

    def run(self, days: int, on_day: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.onboard(0.0, -1.0)
        for day in range(days):
            started, before = time.perf_counter(), Counter(self.log.actions)
            for tick, viewers in self.sessions(day).items():
                self.tick(day, tick, viewers)
            if self.options.graph:
                build_graph(self.client, GraphBuildOptions(state=None))
            summary: dict[str, Any] = {"day": day + 1, "members": len(self.onboarding.synced)}
            summary.update((self.log.actions - before).items())
            summary["seconds"] = round(time.perf_counter() - started, 2)
            self.log.per_day.append(summary)
            if on_day is not None:
                on_day(summary)
        self.log.marketplace.end = float(days)
        self.log.signals = dict(self.signals.totals)


def simulate(
    client: OpenSearch,
    world: World,
    days: int,
    policy: Policy,
    seed: int,
    onboarding: Onboarding | None = None,
    options: SimulationOptions | None = None,
    on_day: Callable[[dict[str, Any]], None] | None = None,
) -> SimulationLog:
    """Run ``days`` simulated days of ``world`` under ``policy``; everything goes through
    ``client`` (the artifacts must be applied first). Reproducible by ``seed`` on a fresh
    engine. Without ``onboarding``, members join through a change log in a temporary
    directory, synced with ``sync/profiles.yaml`` of the current directory."""
    started = time.perf_counter()
    own = onboarding is None
    with tempfile.TemporaryDirectory(prefix="mutuo-sim-") as scratch:
        onboarding = onboarding or Onboarding(client, Path("."), Path(scratch))
        try:
            sim = Simulation(
                client, world, policy, onboarding, seed, options or SimulationOptions()
            )
            sim.run(days, on_day)
        finally:
            if own:
                onboarding.close()
    sim.log.seconds = round(time.perf_counter() - started, 2)
    return sim.log
