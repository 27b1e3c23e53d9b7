"""The simulator's world and behaviour model, without an engine: what docs/simulation.md
promises about tastes, browsing, limited attention, matches and reproducibility."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from mutuo.demo.population import INTERESTS
from mutuo.simulation import BehaviourConfig, BehaviourModel, LikeModel, World, generate_world
from mutuo.simulation.behaviour import SessionClock
from mutuo.simulation.world import VOCABULARY, interest_vector, like_probability

T = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(300, days=3, arrival_share=0.2, seed=5)


def eligible_pair(world: World) -> tuple[str, str]:
    for a in world.members.values():
        for b in world.members.values():
            if a.id != b.id and a.admits(b) and b.admits(a):
                return a.id, b.id
    raise AssertionError("no mutually eligible pair")


def test_the_same_seed_gives_the_same_world_and_another_seed_another() -> None:
    a, b = generate_world(50, seed=1), generate_world(50, seed=1)
    c = generate_world(50, seed=2)
    assert [m.profile for m in a.members.values()] == [m.profile for m in b.members.values()]
    assert [m.appeal for m in a.members.values()] == [m.appeal for m in b.members.values()]
    assert [m.appeal for m in a.members.values()] != [m.appeal for m in c.members.values()]


def test_arrivals_join_within_the_run_with_their_arrival_as_created_at(world: World) -> None:
    arrivals = [m for m in world.members.values() if m.joined_day > 0]
    assert len(arrivals) == 60
    assert all(0 < m.joined_day <= 3 for m in arrivals)
    m = arrivals[0]
    assert datetime.fromisoformat(m.profile["created_at"]) == world.moment(m.joined_day).replace(
        microsecond=0
    )
    assert world.arriving(0.0, 3.0) == arrivals and len(world.initial()) == 240


def test_a_candidate_matching_the_viewers_taste_is_likelier_to_be_liked(world: World) -> None:
    viewer_id, candidate_id = eligible_pair(world)
    viewer, candidate = world.members[viewer_id], world.members[candidate_id]
    favourite = favourite_interests(viewer.taste)
    matching = replace(candidate, profile={**candidate.profile, "interests": favourite})
    other = [i for i in sorted(INTERESTS) if i not in favourite][:3]
    distant = replace(candidate, profile={**candidate.profile, "interests": other})
    model = LikeModel()
    assert like_probability(viewer, matching, model) > like_probability(viewer, distant, model)


def test_off_preference_candidates_are_rarely_liked(world: World) -> None:
    viewer_id, candidate_id = eligible_pair(world)
    viewer, candidate = world.members[viewer_id], world.members[candidate_id]
    too_old = replace(
        candidate, profile={**candidate.profile, "age": viewer.profile["age_max"] + 9}
    )
    model = LikeModel()
    assert like_probability(viewer, too_old, model) == pytest.approx(
        model.off_preference * like_probability(viewer, candidate, model)
    )


def test_browsing_is_a_cascade_so_lower_positions_get_fewer_impressions(world: World) -> None:
    model = BehaviourModel(world, BehaviourConfig(continue_p=0.7))
    rng = random.Random(3)
    viewer, *others = list(world.members)[:11]
    positions: Counter[int] = Counter()
    for _ in range(400):
        model.state.acted.clear()
        for e in model.session(viewer, others, T, rng):
            if e.action == "impression" and e.position is not None:
                positions[e.position] += 1
    assert positions[0] == 400
    assert positions[0] > positions[2] > positions[5] > positions[9]
    assert positions[3] / 400 == pytest.approx(0.7**3, abs=0.06)


def test_a_member_answers_at_most_their_capacity_of_received_likes_per_session(
    world: World,
) -> None:
    model = BehaviourModel(world)
    rng = random.Random(1)
    target = next(m for m in world.members.values() if m.capacity == 2)
    likers = [m for m in world.members if m != target.id][:7]
    for liker in likers:
        model.liked(liker, target.id, _clock(), rng)
    answers = model.answer_inbox(target.id, _clock(), rng)
    answered = {e.target_id for e in answers if e.action in ("like", "pass")}
    assert len(answered) == 2 and answered == set(likers[:2])  # oldest first
    assert len(model.state.inbox[target.id]) == 5


def test_liking_back_from_the_inbox_makes_a_match(world: World) -> None:
    certain = World(world.members, world.start, LikeModel(base=50.0))
    model = BehaviourModel(certain, BehaviourConfig(message_p=1.0))
    a, b = eligible_pair(world)
    rng = random.Random(0)
    assert model.liked(a, b, _clock(), rng) == []
    answers = model.answer_inbox(b, _clock(), rng)
    assert [(e.viewer_id, e.action, e.target_id) for e in answers] == [
        (b, "like", a),
        (b, "match", a),
        (b, "message", a),
    ]
    assert frozenset((a, b)) in model.state.matched
    assert [e.action for e in model.answer_inbox(a, _clock(), rng)] in (["reply"], [])


def test_a_blocked_pair_is_remembered_as_ground_truth(world: World) -> None:
    model = BehaviourModel(world, BehaviourConfig(block_p=1.0, block_below=1.1, pass_p=1.0))
    never = World(world.members, world.start, LikeModel(base=-50.0))
    model.world = never
    viewer, target = list(world.members)[:2]
    events = model.session(viewer, [target], T, random.Random(0))
    assert [e.action for e in events] == ["impression", "pass", "block"]
    assert frozenset((viewer, target)) in model.state.blocked


def test_sessions_replay_identically_from_the_same_seed(world: World) -> None:
    ids = list(world.members)[:12]

    def run(seed: int) -> list[tuple[str, str, str]]:
        model = BehaviourModel(world)
        rng = random.Random(seed)
        return [
            (e.viewer_id, e.action, e.target_id)
            for v in ids[:4]
            for e in model.session(v, [i for i in ids if i != v], T, rng)
        ]

    assert run(9) == run(9)


def favourite_interests(taste: np.ndarray) -> list[str]:
    return sorted(VOCABULARY, key=lambda n: -taste[VOCABULARY[n]])[:4]


def _clock() -> SessionClock:
    return SessionClock(T)


def test_interest_vectors_are_unit_length() -> None:
    assert np.linalg.norm(interest_vector(["hiking", "jazz"])) == pytest.approx(1.0)
