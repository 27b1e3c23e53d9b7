"""What each action does to the two members' documents (the table in signals/effects.py)."""

from __future__ import annotations

import copy

import numpy as np

from mutuo.signals.effects import SignalEvent, apply_to_profiles, apply_to_viewers
from mutuo.signals.model import DAY_MS, ProfileSignals, SignalsConfig
from mutuo.signals.viewer import ViewerSets

MEMBERS = ("a", "b", "c")


def run(
    events: list[tuple[str, str, str]],
    viewers: dict[str, ViewerSets] | None = None,
    profiles: dict[str, ProfileSignals] | None = None,
    first_seq: int = 1,
) -> tuple[dict[str, ViewerSets], dict[str, ProfileSignals]]:
    viewers = viewers or {m: ViewerSets.from_source(m, None) for m in MEMBERS}
    profiles = profiles or {
        m: ProfileSignals.from_source({}, as_of_ms=None, created_ms=0.0, config=SignalsConfig())
        for m in MEMBERS
    }
    batch = [
        SignalEvent(first_seq + i, actor, action, target, (first_seq + i) * 1000.0)
        for i, (actor, action, target) in enumerate(events)
    ]
    vectors = {m: list(np.eye(3)[i]) for i, m in enumerate(MEMBERS)}
    facts = apply_to_viewers(batch, viewers)
    apply_to_profiles(batch, profiles, facts, vectors)
    return viewers, profiles


def ids(viewers: dict[str, ViewerSets], member: str, name: str) -> list[str]:
    return list(viewers[member].sets.get(name, {}))


def test_a_like_enters_the_inbox_and_counts_as_attention_received() -> None:
    viewers, profiles = run([("a", "impression", "b"), ("a", "like", "b")])
    assert ids(viewers, "a", "seen_ids") == ["b"]
    assert ids(viewers, "a", "liked_ids") == ["b"]
    assert ids(viewers, "b", "inbox_ids") == ["a"]
    assert profiles["b"].counters["likes_received_7d"] > 0.99
    assert profiles["b"].counters["received_7d"] > 0.99
    assert profiles["b"].impressions_total == 1
    assert profiles["a"].counters["likes_sent_7d"] > 0.99


def test_acting_on_someone_in_the_inbox_answers_them() -> None:
    viewers, profiles = run([("a", "like", "b"), ("c", "message", "b"), ("b", "pass", "a")])
    assert ids(viewers, "b", "inbox_ids") == ["c"]
    assert profiles["b"].counters["answered_7d"] > 0.99
    assert profiles["b"].counters["received_7d"] > 1.99


def test_a_like_back_is_a_match_not_new_attention() -> None:
    viewers, profiles = run([("a", "like", "b"), ("b", "like", "a"), ("b", "match", "a")])
    assert ids(viewers, "a", "inbox_ids") == [] and ids(viewers, "b", "inbox_ids") == []
    assert ids(viewers, "a", "matched_ids") == ["b"] and ids(viewers, "b", "matched_ids") == ["a"]
    assert profiles["a"].counters["received_7d"] == 0.0  # b's like answered a's, owes nothing
    assert profiles["b"].counters["answered_7d"] > 0.99
    assert (
        profiles["a"].counters["matches_7d"] > 0.99 and profiles["b"].counters["matches_7d"] > 0.99
    )


def test_a_block_hides_both_members_from_each_other_and_empties_the_inbox() -> None:
    viewers, profiles = run([("a", "like", "b"), ("b", "block", "a"), ("a", "message", "b")])
    assert ids(viewers, "b", "blocked_ids") == ["a"]
    assert ids(viewers, "a", "blocked_by_ids") == ["b"]
    assert ids(viewers, "b", "inbox_ids") == []  # a's later message does not get through
    assert profiles["a"].blocked_ids == ["b"] and profiles["b"].blocked_ids == ["a"]


def test_a_report_blocks_like_a_block() -> None:
    viewers, profiles = run([("c", "report", "a")])
    assert ids(viewers, "c", "blocked_ids") == ["a"]
    assert profiles["a"].blocked_ids == ["c"] and profiles["c"].blocked_ids == ["a"]


def test_likes_fold_the_liked_members_vectors_into_the_taste() -> None:
    _viewers, profiles = run([("a", "like", "b"), ("a", "like", "c")])
    taste = profiles["a"].fields(3000.0, 0.0)["taste_vector"]
    assert np.allclose(taste, np.array([0, 1, 1]) / np.sqrt(2), atol=1e-3)


def test_replaying_applied_events_changes_nothing() -> None:
    events = [("a", "impression", "b"), ("a", "like", "b"), ("b", "pass", "a"), ("c", "block", "a")]
    viewers, profiles = run(events)
    before_v, before_p = copy.deepcopy(viewers), copy.deepcopy(profiles)
    run(events, viewers, profiles)  # same sequences: every document has seen them
    for m in MEMBERS:
        assert viewers[m].sets == before_v[m].sets
        assert profiles[m].counters == before_p[m].counters
        assert profiles[m].impressions_total == before_p[m].impressions_total


def test_only_events_above_a_documents_sequence_apply_to_it() -> None:
    viewers, profiles = run([("a", "impression", "b")], first_seq=1)
    profiles["b"].seq = 5  # b's profile already holds events up to 5
    run([("c", "impression", "b")], viewers, profiles, first_seq=4)
    assert profiles["b"].impressions_total == 1
    run([("c", "impression", "b")], viewers, profiles, first_seq=6)
    assert profiles["b"].impressions_total == 2


def test_the_seen_list_keeps_the_most_recent_ids() -> None:
    state = ViewerSets.from_source("a", None)
    for i in range(10):
        state.add("seen_ids", f"m{i}")
    state.add("seen_ids", "m0")
    assert state.fields(DAY_MS, seen_cap=3)["seen_ids"] == ["m8", "m9", "m0"]
