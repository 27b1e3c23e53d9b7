"""Property: whatever members did, a blocked, hidden, paused or deleted member never appears
in anyone's recommendations or search results.

Random sequences of UBI events (through the real event path and the signals worker) and
status changes (as the sync writes them) run on a fresh engine; then every member's
recommendations must be exactly the members they may see (so the test is not vacuous),
and no search may show someone excluded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opensearchpy import OpenSearch

import mutuo
from mutuo.events import ACTIONS, Event, record
from mutuo.signals import SignalsWorker

from .market import Market, apply_artifacts, cluster_vector, member

MEMBERS = [f"p{i}" for i in range(6)]
STATUSES = ("hidden", "paused", "deleted", "active")

event_op = st.tuples(
    st.just("event"), st.sampled_from(MEMBERS), st.sampled_from(ACTIONS), st.sampled_from(MEMBERS)
).filter(lambda op: op[1] != op[3])
status_op = st.tuples(st.just("status"), st.sampled_from(MEMBERS), st.sampled_from(STATUSES))
operations = st.lists(st.one_of(event_op, event_op, status_op), max_size=14)


@contextmanager
def fresh_market() -> Iterator[Market]:
    client: OpenSearch = mutuo.connect("embedded://:memory:")
    try:
        apply_artifacts(client)
        market = Market(client)
        rng = np.random.default_rng(0)
        docs = {
            m: member(seeking=["woman"], vector=cluster_vector(i % 3, rng))
            for i, m in enumerate(MEMBERS)
        }
        market.add(docs)
        yield market
    finally:
        client.close()


class Outcome:
    """What the operations left: statuses, who acted on whom, who blocked whom."""

    def __init__(self) -> None:
        self.status = dict.fromkeys(MEMBERS, "active")
        self.acted: set[tuple[str, str]] = set()  # (actor, target): the actor has seen them
        self.blocks: set[frozenset[str]] = set()

    def visible(self, viewer: str) -> set[str]:
        active = {m for m, s in self.status.items() if s == "active"}
        return {m for m in active - {viewer} if frozenset((viewer, m)) not in self.blocks}

    def unseen(self, viewer: str) -> set[str]:
        return {m for m in self.visible(viewer) if (viewer, m) not in self.acted}


def apply(market: Market, ops: list[tuple[str, ...]]) -> Outcome:
    """Run the operations, then one signals pass."""
    out = Outcome()
    status, acted = out.status, out.acted
    for op in ops:
        if op[0] == "event":
            _, actor, action, target = op
            record(market.client, [Event(actor, action, target)], refresh=True)
            acted.add((actor, target))
            if action == "match":  # a match marks the other side as seen too
                acted.add((target, actor))
            if action in ("block", "report"):
                out.blocks.add(frozenset((actor, target)))
        else:
            _, who, new = op
            if status[who] == "deleted":
                continue  # a deleted member does not come back
            if new == "deleted":
                market.delete(who)
            else:
                market.update(who, status=new)
            status[who] = new
    SignalsWorker(market.client).catch_up()
    market.client.indices.refresh(index="profiles,viewer_state")
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_excluded_members_never_appear_in_recommendations_or_search(
    ops: list[tuple[str, ...]],
) -> None:
    with fresh_market() as market:
        out = apply(market, ops)
        for viewer in (m for m in MEMBERS if out.status[m] != "deleted"):
            assert set(market.recommended(viewer)) == out.unseen(viewer), viewer
            assert set(market.searched("hiking jazz", viewer_id=viewer)) == out.visible(viewer)
        active = {m for m, s in out.status.items() if s == "active"}
        assert set(market.searched("hiking jazz")) == active
