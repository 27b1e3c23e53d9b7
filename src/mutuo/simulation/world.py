"""The simulated marketplace: members with public profiles and hidden traits.

Public profiles come from :mod:`mutuo.demo.population` (marginals of the OkCupid data,
never rows). Each member also gets traits the recommender never sees, drawn from a second
seeded generator so the public profiles do not depend on them:

* ``taste``: what they are drawn to, a unit vector over the interest vocabulary, half
  their own interests (people like people like them) and half four hidden ones;
* ``appeal``: how attractive others find them, standard normal; it is what concentrates
  attention on a few members, as in every real marketplace;
* ``pickiness``: lowers their own like probability, normal(0, 0.5);
* ``capacity``: how many received likes and messages they answer per day, 1 + Poisson(4);
* ``activity``: the probability they open the app on a given day, Beta(2, 2);
* ``joined_day``: 0 or earlier for the initial population, a uniform time within the run
  for arrivals.

:func:`like_probability` is the behaviour model's core (docs/simulation.md).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ..demo.population import CITIES, INTERESTS, generate_member

VOCABULARY = {name: i for i, name in enumerate(INTERESTS)}
START = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LikeModel:
    """``p = sigmoid(base + taste_weight * affinity + appeal_weight * appeal - pickiness)``
    for a candidate the viewer's stated preferences admit; ``off_preference`` times that
    otherwise (gender or age outside what they said they want)."""

    base: float = -2.6
    taste_weight: float = 3.0
    appeal_weight: float = 1.0
    off_preference: float = 0.05


@dataclass
class SimMember:
    id: str
    profile: dict[str, Any]
    taste: np.ndarray
    appeal: float
    pickiness: float
    capacity: int
    activity: float
    joined_day: float
    interests_vector: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.interests_vector = interest_vector(self.profile["interests"])

    def admits(self, other: SimMember) -> bool:
        """Whether ``other`` fits this member's stated gender and age preferences."""
        p, o = self.profile, other.profile
        return o["gender"] in p["seeking"] and p["age_min"] <= o["age"] <= p["age_max"]


def interest_vector(interests: list[str]) -> np.ndarray:
    v = np.zeros(len(VOCABULARY))
    for name in interests:
        v[VOCABULARY[name]] = 1.0
    norm = np.linalg.norm(v)
    return v / norm if norm else v


def like_probability(viewer: SimMember, candidate: SimMember, model: LikeModel) -> float:
    affinity = float(viewer.taste @ candidate.interests_vector)
    logit = (
        model.base
        + model.taste_weight * affinity
        + model.appeal_weight * candidate.appeal
        - viewer.pickiness
    )
    p = 1.0 / (1.0 + math.exp(-logit))
    return p if viewer.admits(candidate) else p * model.off_preference


@dataclass
class World:
    members: dict[str, SimMember]
    start: datetime
    like_model: LikeModel = field(default_factory=LikeModel)

    def initial(self) -> list[SimMember]:
        return [m for m in self.members.values() if m.joined_day <= 0]

    def arriving(self, after_day: float, until_day: float) -> list[SimMember]:
        """Members who join in ``(after_day, until_day]`` (arrivals have joined_day > 0)."""
        return [
            m
            for m in self.members.values()
            if after_day < m.joined_day <= until_day and m.joined_day > 0
        ]

    def like_probability(self, viewer_id: str, candidate_id: str) -> float:
        return like_probability(
            self.members[viewer_id], self.members[candidate_id], self.like_model
        )

    def moment(self, day: float) -> datetime:
        return self.start + timedelta(days=day)


def _traits(rng: random.Random, interests: list[str], hidden: tuple[str, ...]) -> np.ndarray:
    taste = 0.5 * interest_vector(interests) + 0.5 * interest_vector(list(hidden))
    return taste / np.linalg.norm(taste)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; the means used here are small
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _move_to(
    profile: dict[str, Any], city: tuple[str, float, float, float], rng: random.Random
) -> dict[str, Any]:
    """``profile`` living in ``city`` (its texts name the new city)."""
    name, lat, lon, _weight = city
    old = profile["city"]
    location = {
        "lat": round(lat + rng.gauss(0, 0.03), 5),
        "lon": round(lon + rng.gauss(0, 0.03), 5),
    }
    moved = {**profile, "city": name, "location": location}
    for text in ("headline", "bio"):
        if isinstance(moved.get(text), str):
            moved[text] = moved[text].replace(old, name)
    return moved


def generate_world(
    members: int,
    days: float = 3.0,
    arrival_share: float = 0.1,
    seed: int = 7,
    start: datetime = START,
    like_model: LikeModel | None = None,
    one_city: bool = False,
) -> World:
    """``members`` members, of whom ``arrival_share`` join during the first ``days``.

    ``one_city`` places everyone in one city (:func:`_move_to`): a small world spread over
    the Bay Area's eight cities leaves each member a pool of about 16 admissible others at
    250 members, which an active member browses through in a few days, so who is shown
    is set by the hard filters and no ranking policy can change it. A real marketplace's
    pool is far larger than what a member browses; one city keeps a small simulation in
    that regime."""
    profiles = random.Random(seed)
    traits = random.Random(seed * 7919 + 1)
    places = random.Random(seed * 104729 + 3)  # its own stream: the same people either way
    arrivals = round(members * arrival_share)
    out: dict[str, SimMember] = {}
    for index in range(members):
        member = generate_member(profiles, index, start)
        joined = traits.uniform(0.0, days) if index >= members - arrivals else 0.0
        profile = dict(member.profile)
        if one_city:
            profile = _move_to(profile, CITIES[0], places)
        if joined > 0:
            moment = (start + timedelta(days=joined)).strftime("%Y-%m-%dT%H:%M:%SZ")
            profile["created_at"] = profile["last_active_at"] = moment
        out[member.id] = SimMember(
            id=member.id,
            profile=profile,
            taste=_traits(traits, profile["interests"], member.hidden_interests),
            appeal=traits.gauss(0.0, 1.0),
            pickiness=traits.gauss(0.0, 0.5),
            capacity=1 + _poisson(traits, 4.0),
            activity=traits.betavariate(2.0, 2.0),
            joined_day=joined,
        )
    return World(out, start, like_model or LikeModel())
