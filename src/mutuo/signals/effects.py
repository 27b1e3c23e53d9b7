"""What each UBI action does to the two members' documents.

``A -> B`` is an event whose actor (``client_id``) is A and whose object is B.

| action | A's viewer_state | B's viewer_state | profiles |
| --- | --- | --- | --- |
| impression | seen B | | B: impressions_1d/7d/total |
| like | seen, liked B | inbox + A | A: likes_sent_7d, taste_vector; B: likes_received_7d (received_7d) |
| pass | seen, passed B | | |
| message | seen B | inbox + A | B: (received_7d) |
| reply | seen B | | |
| match | seen, matched B | seen, matched A, inbox - A | A and B: matches_7d |
| block, report | blocked B | blocked_by A | A.blocked_ids + B, B.blocked_ids + A |

**Inbox and answers.** A like or message from A puts A in B's inbox (attention B is
expected to answer, counted in B's ``received_7d``), unless it answers B itself (B had
liked A, or they matched, for a like) or B blocked A. Any action of A on B except an
impression, while B is in A's inbox, *answers* B: B leaves the inbox and A's
``answered_7d`` counts one; a match also clears it. Attention received against attention
answered is what exposure balancing and ``reply_rate`` read.

**Exactly once.** Every document remembers the sequence of the last event applied to it
(``signals_seq``); an event whose sequence is not above it is skipped for that document.
A replayed batch therefore changes nothing it already changed, document by document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .model import ProfileSignals
from .viewer import ViewerSets

ANSWERING = frozenset({"like", "pass", "message", "reply", "match", "block", "report"})
BLOCKING = frozenset({"block", "report"})
INCOMING = frozenset({"like", "message"})


@dataclass
class ViewerFacts:
    """What the viewer documents decided about a batch's events, by sequence: which
    answered an inbox entry and which entered one."""

    answers: set[int] = field(default_factory=set)
    incoming: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class SignalEvent:
    """A UBI event reduced to what the signals use; ``seq`` is its processing sequence."""

    seq: int
    actor: str
    action: str
    target: str
    t_ms: float


def apply_to_viewers(
    events: Iterable[SignalEvent], viewers: Mapping[str, ViewerSets]
) -> ViewerFacts:
    """Apply ``events`` (in sequence order) to the viewer documents given; members absent
    from ``viewers`` are left alone."""
    facts = ViewerFacts()
    for event in sorted(events, key=lambda e: e.seq):
        a, b = viewers.get(event.actor), viewers.get(event.target)
        if a is not None and event.seq > a.seq:
            if _actor_side(a, event):
                facts.answers.add(event.seq)
            a.seq = event.seq
        if b is not None and event.seq > b.seq:
            if _object_side(b, event):
                facts.incoming.add(event.seq)
            b.seq = event.seq
    return facts


def _actor_side(a: ViewerSets, event: SignalEvent) -> bool:
    target, action = event.target, event.action
    a.add("seen_ids", target)
    answered = action in ANSWERING and a.has("inbox_ids", target)
    if answered:
        a.remove("inbox_ids", target)
    if action == "like":
        a.add("liked_ids", target)
    elif action == "pass":
        a.add("passed_ids", target)
    elif action == "match":
        a.add("matched_ids", target)
    elif action in BLOCKING:
        a.add("blocked_ids", target)
    return answered


def _object_side(b: ViewerSets, event: SignalEvent) -> bool:
    """Apply the event to its object's document; whether it entered the object's inbox."""
    actor, action = event.actor, event.action
    if action in INCOMING:
        blocked = b.has("blocked_ids", actor) or b.has("blocked_by_ids", actor)
        mutual = action == "like" and (b.has("liked_ids", actor) or b.has("matched_ids", actor))
        if blocked or mutual:
            return False
        b.add("inbox_ids", actor)
        return True
    if action == "match":
        b.add("seen_ids", actor)
        b.add("matched_ids", actor)
        b.remove("inbox_ids", actor)
    elif action in BLOCKING:
        b.add("blocked_by_ids", actor)
        b.remove("inbox_ids", actor)
    return False


def apply_to_profiles(
    events: Iterable[SignalEvent],
    profiles: Mapping[str, ProfileSignals],
    facts: ViewerFacts,
    vectors: Mapping[str, Sequence[float]],
) -> set[str]:
    """Apply ``events`` to the profile signals given (absent members are skipped: a member
    deleted or not yet synced); ``vectors`` are the liked members' profile_vectors. The ids
    whose document changed."""
    changed: set[str] = set()
    for event in sorted(events, key=lambda e: e.seq):
        a, b = profiles.get(event.actor), profiles.get(event.target)
        if a is not None and event.seq > a.seq:
            _actor_profile(a, event, event.seq in facts.answers, vectors.get(event.target))
            a.seq = event.seq
            changed.add(event.actor)
        if b is not None and event.seq > b.seq:
            _object_profile(b, event, event.seq in facts.incoming)
            b.seq = event.seq
            changed.add(event.target)
    return changed


def _actor_profile(
    a: ProfileSignals, event: SignalEvent, answered: bool, vector: Sequence[float] | None
) -> None:
    t = event.t_ms
    if answered:
        a.count("answered_7d", t)
    if event.action == "like":
        a.count("likes_sent_7d", t)
        if vector is not None:
            a.like(vector, t)
    elif event.action == "match":
        a.count("matches_7d", t)
    elif event.action in BLOCKING:
        a.block(event.target)
    a.advance(t)


def _object_profile(b: ProfileSignals, event: SignalEvent, incoming: bool) -> None:
    t = event.t_ms
    if incoming:
        b.count("received_7d", t)
    if event.action == "impression":
        b.count("impressions_1d", t)
        b.count("impressions_7d", t)
        b.impressions_total += 1
    elif event.action == "like":
        b.count("likes_received_7d", t)
    elif event.action == "match":
        b.count("matches_7d", t)
    elif event.action in BLOCKING:
        b.block(event.actor)
    b.advance(t)
