"""What simulated members do with what they are shown, and with what they receive.

**A session** (a member opens the app and is shown a ranked list): they look at the list
top-down and go on to the next result with probability ``continue_p`` (a cascade: the
first result is always looked at), so lower positions get fewer impressions. Every result
looked at is an ``impression``; then they ``like`` it with the world's like probability,
else ``pass`` with probability ``pass_p`` (or leave it without action), and they ``block``
a result they pass with probability ``block_p`` when their like probability for it is
under ``block_below``. Liking someone who already liked them is a ``match``.

**The inbox** (limited attention): likes and messages received wait in the receiver's
inbox, oldest first; in each session the member answers at most ``capacity`` of them (a
trait, per day). A like is answered by liking back (the world's like probability, then a
``match``) or a ``pass``; a message by a ``reply`` with probability ``reply_p``. Whoever
completes a match sends a ``message`` with probability ``message_p``. What is never
answered stays: popular members drown, which is what exposure balancing is for.

All randomness comes from the generator passed in, so a run is reproducible by its seed.
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..events import Event
from .world import World


@dataclass(frozen=True)
class BehaviourConfig:
    continue_p: float = 0.85
    pass_p: float = 0.8
    block_p: float = 0.02
    block_below: float = 0.03
    message_p: float = 0.5
    reply_p: float = 0.6


@dataclass
class MemberState:
    """What the behaviour model remembers about the marketplace (its ground truth)."""

    liked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    acted: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    blocked: set[frozenset[str]] = field(default_factory=set)
    matched: set[frozenset[str]] = field(default_factory=set)
    inbox: dict[str, deque[tuple[str, str]]] = field(default_factory=lambda: defaultdict(deque))


class BehaviourModel:
    def __init__(self, world: World, config: BehaviourConfig | None = None) -> None:
        self.world = world
        self.config = config or BehaviourConfig()
        self.state = MemberState()

    def session(
        self,
        viewer: str,
        shown: list[str],
        moment: datetime,
        rng: random.Random,
        query_id: str | None = None,
    ) -> list[Event]:
        """The events of one session: browsing ``shown``, then answering the inbox."""
        events: list[Event] = []
        clock = SessionClock(moment)
        for position, target in enumerate(shown):
            if position and rng.random() >= self.config.continue_p:
                break
            events += self._look(viewer, target, position, clock, rng, query_id)
        events += self.answer_inbox(viewer, clock, rng)
        return events

    def _look(
        self,
        viewer: str,
        target: str,
        position: int,
        clock: SessionClock,
        rng: random.Random,
        query_id: str | None,
    ) -> list[Event]:
        s = self.state
        events = [Event(viewer, "impression", target, clock.tick(), query_id, position)]
        s.acted[viewer].add(target)
        p = self.world.like_probability(viewer, target)
        if rng.random() < p:
            events.append(Event(viewer, "like", target, clock.tick(), query_id, position))
            events += self.liked(viewer, target, clock, rng)
        elif rng.random() < self.config.pass_p:
            events.append(Event(viewer, "pass", target, clock.tick(), query_id, position))
            if p < self.config.block_below and rng.random() < self.config.block_p:
                events.append(Event(viewer, "block", target, clock.tick()))
                s.blocked.add(frozenset((viewer, target)))
        return events

    def liked(
        self, liker: str, target: str, clock: SessionClock, rng: random.Random
    ) -> list[Event]:
        """After ``liker`` likes ``target``: a match if it was mutual, else an inbox entry."""
        s = self.state
        s.liked[liker].add(target)
        s.acted[liker].add(target)
        if liker not in s.liked[target]:
            s.inbox[target].append((liker, "like"))
            return []
        s.matched.add(frozenset((liker, target)))
        _drop(s.inbox[liker], target)
        events = [Event(liker, "match", target, clock.tick())]
        if rng.random() < self.config.message_p:
            events.append(Event(liker, "message", target, clock.tick()))
            s.inbox[target].append((liker, "message"))
        return events

    def answer_inbox(self, member: str, clock: SessionClock, rng: random.Random) -> list[Event]:
        """Answer at most the member's daily capacity of their oldest inbox entries."""
        s, events = self.state, []
        inbox = s.inbox[member]
        for _ in range(min(len(inbox), self.world.members[member].capacity)):
            sender, kind = inbox.popleft()
            if frozenset((member, sender)) in s.blocked:
                continue
            if kind == "message":
                if rng.random() < self.config.reply_p:
                    events.append(Event(member, "reply", sender, clock.tick()))
                continue
            if sender in s.liked[member]:
                continue  # already answered by liking them from a list
            s.acted[member].add(sender)
            if rng.random() < self.world.like_probability(member, sender):
                events.append(Event(member, "like", sender, clock.tick()))
                events += self.liked(member, sender, clock, rng)
            else:
                events.append(Event(member, "pass", sender, clock.tick()))
        return events


def _drop(inbox: deque[tuple[str, str]], sender: str) -> None:
    kept = [entry for entry in inbox if entry[0] != sender or entry[1] != "like"]
    inbox.clear()
    inbox.extend(kept)


class SessionClock:
    """Events of a session a second apart, so their order survives in the timestamps."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def tick(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment
