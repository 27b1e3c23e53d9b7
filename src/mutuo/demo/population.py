"""A synthetic population of marketplace members with realistic attributes.

The marginal distributions are aggregate statistics of the OkCupid profiles dataset
(Kim & Escobedo-Land, 2021 release, in ``../shared/data/okcupid``): the sex ratio,
orientation shares, age quantiles, job, drinking and smoking shares and spoken
languages. No row of the dataset is used; members are drawn independently from these
marginals with a seeded generator, so every figure is reproducible.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

# -- aggregate statistics of the OkCupid 2021 release (59,946 profiles) -------------------
SEX_SHARE = {"m": 0.598, "f": 0.402}
ORIENTATION_SHARE = {"straight": 0.861, "gay": 0.093, "bisexual": 0.046}
AGE_QUANTILES = [(0.0, 18), (0.05, 21), (0.25, 26), (0.5, 30), (0.75, 37), (0.95, 52), (1.0, 69)]
JOB_SHARE = {
    "student": 0.094,
    "science / tech / engineering": 0.093,
    "computer / hardware / software": 0.091,
    "artistic / musical / writer": 0.086,
    "sales / marketing / biz dev": 0.085,
    "medicine / health": 0.071,
    "education / academia": 0.068,
    "executive / management": 0.046,
    "banking / financial / real estate": 0.044,
    "entertainment / media": 0.043,
    "law / legal services": 0.027,
    "hospitality / travel": 0.026,
    "construction / craftsmanship": 0.020,
    "other": 0.146,
}
DRINKS_SHARE = {
    "socially": 0.732,
    "rarely": 0.104,
    "often": 0.090,
    "not at all": 0.057,
    "very often": 0.008,
}
SMOKES_SHARE = {
    "no": 0.801,
    "sometimes": 0.069,
    "when drinking": 0.055,
    "yes": 0.041,
    "trying to quit": 0.027,
}
SECOND_LANGUAGE_SHARE = {
    "spanish": 0.272,
    "french": 0.131,
    "chinese": 0.061,
    "german": 0.051,
    "japanese": 0.036,
    "italian": 0.036,
    "russian": 0.021,
    "portuguese": 0.018,
}
SECOND_LANGUAGE_RATE = 0.45

CITIES = [  # (name, lat, lon, weight)
    ("San Francisco", 37.7749, -122.4194, 0.30),
    ("Oakland", 37.8044, -122.2712, 0.18),
    ("Berkeley", 37.8715, -122.2730, 0.10),
    ("San Jose", 37.3382, -121.8863, 0.14),
    ("Palo Alto", 37.4419, -122.1430, 0.08),
    ("San Mateo", 37.5630, -122.3255, 0.08),
    ("Walnut Creek", 37.9101, -122.0652, 0.06),
    ("Santa Cruz", 36.9741, -122.0308, 0.06),
]

INTERESTS = [
    "hiking",
    "climbing",
    "running",
    "yoga",
    "cycling",
    "surfing",
    "skiing",
    "swimming",
    "cooking",
    "baking",
    "wine",
    "coffee",
    "craft beer",
    "vegan food",
    "street food",
    "jazz",
    "indie music",
    "techno",
    "classical music",
    "live concerts",
    "karaoke",
    "photography",
    "painting",
    "poetry",
    "novels",
    "science fiction",
    "board games",
    "video games",
    "chess",
    "film",
    "theatre",
    "stand-up comedy",
    "podcasts",
    "travel",
    "camping",
    "gardening",
    "dogs",
    "cats",
    "volunteering",
    "meditation",
    "startups",
    "open source",
    "machine learning",
    "history",
    "languages",
    "dancing",
]
_OPENERS = [
    "I'm happiest when {a}.",
    "Weekends usually mean {a} and {b}.",
    "Ask me about {a}.",
    "Looking for someone who enjoys {a} as much as I do.",
    "My friends know me for {a}.",
    "Currently obsessed with {a} and {b}.",
    "I moved here for {a} and stayed for {b}.",
]
_CLOSERS = [
    "Bonus points if you like {c}.",
    "Let's try {c} together.",
    "I'll teach you {c}.",
    "Tell me your favourite spot for {c}.",
    "Not great at {c}, but I try.",
]


@dataclass(frozen=True)
class Member:
    """One synthetic member: public profile fields plus the hidden tastes the simulator uses."""

    id: str
    profile: dict[str, Any]
    hidden_interests: tuple[str, ...]


def _pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _age(rng: random.Random) -> int:
    u = rng.random()
    for (q0, a0), (q1, a1) in itertools.pairwise(AGE_QUANTILES):
        if u <= q1:
            return round(a0 + (a1 - a0) * (u - q0) / (q1 - q0))
    return AGE_QUANTILES[-1][1]


def _seeking(rng: random.Random, gender: str, orientation: str) -> list[str]:
    other = "woman" if gender == "man" else "man"
    if orientation == "straight":
        return [other]
    if orientation == "gay":
        return [gender]
    return ["man", "woman"]


def _bio(rng: random.Random, interests: list[str]) -> str:
    a, b, c = (interests + interests)[:3]
    return " ".join((rng.choice(_OPENERS).format(a=a, b=b), rng.choice(_CLOSERS).format(c=c)))


def _birthdate(now: datetime, age: int, index: int) -> str:
    """A birthdate giving ``age`` at ``now``; the day within the year comes from the index,
    not the generator, so adding the field left every other drawn value unchanged."""
    last_birthday = now - timedelta(days=(index * 97) % 365)
    return last_birthday.replace(
        year=last_birthday.year - age, month=last_birthday.month, day=min(last_birthday.day, 28)
    ).strftime("%Y-%m-%d")


def generate_member(rng: random.Random, index: int, now: datetime) -> Member:
    gender = "man" if _pick(rng, SEX_SHARE) == "m" else "woman"
    orientation = _pick(rng, ORIENTATION_SHARE)
    age = _age(rng)
    city, lat, lon, _w = rng.choices(CITIES, weights=[c[3] for c in CITIES])[0]
    interests = rng.sample(INTERESTS, k=rng.randint(3, 6))
    hidden = tuple(rng.sample(INTERESTS, k=4))
    languages = ["english"]
    if rng.random() < SECOND_LANGUAGE_RATE:
        languages.append(_pick(rng, SECOND_LANGUAGE_SHARE))
    spread = max(3, age // 5)
    created = now - timedelta(days=rng.expovariate(1 / 120))
    profile = {
        "status": "active",
        "gender": gender,
        "seeking": _seeking(rng, gender, orientation),
        "orientation": orientation,
        "age": age,
        "birthdate": _birthdate(now, age, index),
        "age_min": max(18, age - spread),
        "age_max": age + spread + 2,
        "location": {
            "lat": round(lat + rng.gauss(0, 0.05), 5),
            "lon": round(lon + rng.gauss(0, 0.05), 5),
        },
        "city": city,
        "max_distance_km": rng.choice([10, 25, 50, 100]),
        "headline": f"{interests[0].capitalize()} and {interests[1]} in {city}",
        "bio": _bio(rng, interests),
        "interests": interests,
        "job": _pick(rng, JOB_SHARE),
        "drinks": _pick(rng, DRINKS_SHARE),
        "smokes": _pick(rng, SMOKES_SHARE),
        "languages": languages,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_active_at": (now - timedelta(hours=rng.expovariate(1 / 48))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
    }
    return Member(f"m{index:06d}", profile, hidden)


def generate_members(n: int, seed: int = 7, now: datetime | None = None) -> list[Member]:
    """``n`` members drawn from the aggregate distributions above, reproducibly."""
    rng = random.Random(seed)
    moment = now or datetime(2026, 11, 1, tzinfo=UTC)
    return [generate_member(rng, i, moment) for i in range(n)]
