"""Speed Dating participants as marketplace members, and their decisions as UBI events.

A participant becomes the *source document* an app would keep in its members collection
(what the sync reads from the change log): the fields of ``sync/profiles.yaml``
(gender, seeking, birthdate, location, headline, bio, interests, job...) plus the survey
answers that have no index field yet (the 17 interest ratings, preference weights, self
ratings, goal), kept in the source as an app would keep them. The text fields say in words
what the survey says in numbers, so the profile embedding sees field of study, career,
goal, the activities rated highest and what the participant looks for in a date.

The experiment asked no age or distance preferences and everyone met at Columbia: age
ranges are open (18-99) and every member is at the same place, so the recommendation
filters never exclude a partner the participant actually met.

Every meeting is an impression both ways followed by each side's like or pass, and one
``match`` event when both said yes, logged by whoever said yes last (the signals count a
match for both members of its one event, and add each to the other's matched ids).
Events are placed on one evening: date number ``order`` starts ``order * 5`` minutes after
the evening starts (four-minute dates with a break), decisions one minute after it ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from ...events import Event
from .dataset import ACTIVITIES, GOALS, Meeting, Participant

COLUMBIA = {"lat": 40.8075, "lon": -73.9626}
AGE_RANGE = (18, 99)
MAX_DISTANCE_KM = 50
DATE_MINUTES = 5
DECISION_DELAY = timedelta(minutes=4)
FAVOURITE_RATING = 7  # activities rated at least this become the profile's interests
GO_OUT = {
    1: "several times a week",
    2: "twice a week",
    3: "once a week",
    4: "twice a month",
    5: "once a month",
    6: "several times a year",
    7: "almost never",
}


def member_id(iid: int) -> str:
    return f"sd{iid:04d}"


def iid_of(member: str) -> int:
    return int(member.removeprefix("sd"))


def interests(participant: Participant) -> list[str]:
    """Activities rated ``FAVOURITE_RATING`` or more, highest first (codebook order on ties)."""
    ranked = sorted(participant.activities.items(), key=lambda kv: -kv[1])
    return [ACTIVITIES[key] for key, rating in ranked if rating >= FAVOURITE_RATING]


def _looks_for(participant: Participant) -> str:
    top = sorted(participant.preferences.items(), key=lambda kv: -kv[1])[:2]
    return " and ".join(name for name, _share in top)


def _bio(participant: Participant) -> str:
    parts = []
    if participant.goal in GOALS:
        parts.append(f"Here for {GOALS[participant.goal]}.")
    if participant.preferences:
        parts.append(f"In a date I look for someone {_looks_for(participant)}.")
    if participant.go_out in GO_OUT:
        parts.append(f"I go out {GO_OUT[participant.go_out]}.")
    if participant.origin:
        parts.append(f"Originally from {participant.origin}.")
    return " ".join(parts)


def _headline(participant: Participant) -> str:
    field = participant.field or "Columbia"
    return f"{field} student" + (f", future {participant.career}" if participant.career else "")


def _birthdate(age: int, now: datetime) -> str:
    """A birthdate that gives ``age`` at ``now`` (the day before ``now``'s date, age years
    earlier; February 29th moves to the 28th)."""
    day = now - timedelta(days=1)
    return day.replace(year=day.year - age, day=min(day.day, 28)).strftime("%Y-%m-%d")


def profile_document(participant: Participant, now: datetime) -> dict[str, Any]:
    """The members-collection document of a participant, as of ``now``."""
    moment = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    doc: dict[str, Any] = {
        "status": "active",
        "gender": participant.gender,
        "seeking": ["woman" if participant.gender == "man" else "man"],
        "orientation": "straight",
        "age_min": AGE_RANGE[0],
        "age_max": AGE_RANGE[1],
        "location": dict(COLUMBIA),
        "city": "New York",
        "max_distance_km": MAX_DISTANCE_KM,
        "headline": _headline(participant),
        "bio": _bio(participant),
        "interests": interests(participant),
        "job": participant.career.lower() or None,
        "languages": ["english"],
        "created_at": moment,
        "last_active_at": moment,
        # survey answers without an index field: kept in the source like an app would
        "wave": participant.wave,
        "field_of_study": participant.field or None,
        "goal": GOALS.get(participant.goal or 0),
        "interest_ratings": dict(participant.activities),
        "preference_weights": dict(participant.preferences),
        "self_ratings": dict(participant.self_ratings),
    }
    if participant.age is not None:
        doc["birthdate"] = _birthdate(participant.age, now)
    return {key: value for key, value in doc.items() if value is not None}


def _date_start(order: int | None, evening: datetime) -> datetime:
    return evening + timedelta(minutes=DATE_MINUTES * (order or 0))


def meeting_events(meeting: Meeting, evening: datetime) -> list[Event]:
    """Both sides' impression and decision, then (for a mutual yes) the match once both
    have decided, in time order. Each side's date number is its own (the file's two rows
    of a meeting disagree on it one time in five)."""
    events: list[Event] = []
    decided = []
    for viewer, partner, order, likes in (
        (meeting.a, meeting.b, meeting.order_a, meeting.a_likes_b),
        (meeting.b, meeting.a, meeting.order_b, meeting.b_likes_a),
    ):
        start = _date_start(order, evening)
        decided.append(start + DECISION_DELAY)
        events.append(Event(member_id(viewer), "impression", member_id(partner), start))
        events.append(
            Event(member_id(viewer), "like" if likes else "pass", member_id(partner), decided[-1])
        )
    if meeting.match:
        last, other = (meeting.b, meeting.a) if decided[1] > decided[0] else (meeting.a, meeting.b)
        matched = max(decided) + timedelta(seconds=1)
        events.append(Event(member_id(last), "match", member_id(other), matched))
    return sorted(events, key=lambda e: e.timestamp)


def events_of(meetings: Iterable[Meeting], evening: datetime) -> list[Event]:
    """Every meeting's events, ordered by time (then as generated)."""
    events = [event for meeting in meetings for event in meeting_events(meeting, evening)]
    return sorted(events, key=lambda e: e.timestamp)
