"""The Speed Dating data as members and events: rows -> profiles, decisions -> UBI events,
and the splits. Tests that read the real file skip when ../shared/data is absent."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mutuo.evaluation.speed_dating.dataset import Meeting, load, participant_from_row
from mutuo.evaluation.speed_dating.profiles import (
    interests,
    meeting_events,
    member_id,
    profile_document,
)
from mutuo.evaluation.speed_dating.splits import make_split

NOW = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def data(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    folder = Path(__file__).resolve().parents[3] / "shared" / "data" / "speed_dating"
    if not folder.exists():
        pytest.skip(f"the Speed Dating data is absent ({folder}); see ../shared/data/README.md")
    return load(folder)


def _row(**overrides: str) -> dict[str, str]:
    from mutuo.evaluation.speed_dating.dataset import ACTIVITIES, ATTRIBUTES

    row = {
        key: ""
        for key in (
            "iid",
            "wave",
            "gender",
            "age",
            "race",
            "field",
            "field_cd",
            "career",
            "goal",
            "date",
            "go_out",
            "imprace",
            "imprelig",
            "from",
        )
    }
    row.update({key: "5" for key in ACTIVITIES})
    row.update({f"{code}1_1": "" for code in ATTRIBUTES})
    row.update({f"{code}3_1": "" for code in ATTRIBUTES if code != "shar"})
    row.update(iid="7", wave="7", gender="1")
    row.update(overrides)
    return row


def test_ten_point_preferences_and_hundred_point_allocations_become_shares() -> None:
    ten_point = participant_from_row(
        _row(attr1_1="10", sinc1_1="5", intel1_1="5", fun1_1="5", amb1_1="0", shar1_1="5")
    )
    assert ten_point.preferences == {
        "attractive": 33.33,
        "sincere": 16.67,
        "intelligent": 16.67,
        "fun": 16.67,
        "ambitious": 0.0,
        "shared interests": 16.67,
    }
    unanswered = participant_from_row(_row(attr1_1="10"))
    assert unanswered.preferences == {}


def test_numbers_with_thousands_separators_and_blanks_are_read() -> None:
    participant = participant_from_row(_row(age="27.0", goal="", sports="", go_out="1,0"))
    assert participant.age == 27
    assert participant.goal is None
    assert "sports" not in participant.activities
    assert participant.go_out == 10
    assert participant.gender == "man"


def test_participant_row_becomes_a_member_document(data) -> None:  # type: ignore[no-untyped-def]
    first = data.participants[1]  # wave 1, the first row of the file
    assert (first.gender, first.age, first.field, first.career, first.goal) == (
        "woman",
        21,
        "Law",
        "lawyer",
        2,
    )
    doc = profile_document(first, NOW)
    assert doc["gender"] == "woman" and doc["seeking"] == ["man"]
    assert doc["birthdate"] == "2005-11-19"  # 21 at NOW
    assert doc["headline"] == "Law student, future lawyer"
    assert "Here for to meet new people." in doc["bio"]
    assert "look for someone sincere and intelligent" in doc["bio"]  # 20 + 20 of 100 points
    # activities rated 7+, highest first, codebook order among equals
    assert doc["interests"] == [
        "movies",
        "concerts",
        "playing sports",
        "dining out",
        "watching TV",
        "music",
        "exercising",
        "shopping",
    ]
    assert doc["interest_ratings"]["yoga"] == 1
    assert doc["preference_weights"]["sincere"] == 20.0
    assert doc["job"] == "lawyer"
    assert interests(first) == doc["interests"]


def test_a_missing_age_leaves_no_birthdate(data) -> None:  # type: ignore[no-untyped-def]
    ageless = next(p for p in data.participants.values() if p.age is None)
    assert "birthdate" not in profile_document(ageless, NOW)


def test_the_file_yields_every_participant_and_every_mirrored_meeting(data) -> None:  # type: ignore[no-untyped-def]
    assert len(data.participants) == 551
    assert len(data.meetings) == 4184  # 8,368 mirrored rows / 2
    assert sum(m.match for m in data.meetings) == 690  # 1,380 match rows / 2


def test_decisions_become_impressions_likes_passes_and_matches() -> None:
    one_sided = Meeting(wave=1, a=1, b=11, order_a=4, order_b=7, a_likes_b=True, b_likes_a=False)
    events = meeting_events(one_sided, NOW)
    assert [(e.viewer_id, e.action, e.target_id) for e in events] == [
        ("sd0001", "impression", "sd0011"),
        ("sd0001", "like", "sd0011"),
        ("sd0011", "impression", "sd0001"),
        ("sd0011", "pass", "sd0001"),
    ]
    assert events[0].timestamp == datetime(2026, 11, 20, 19, 20, tzinfo=UTC)  # date 4 x 5 min
    # a mutual yes is one match event (the signals count it for both), by the later decider
    mutual = Meeting(wave=1, a=1, b=11, order_a=4, order_b=6, a_likes_b=True, b_likes_a=True)
    matches = [e for e in meeting_events(mutual, NOW) if e.action == "match"]
    assert [(e.viewer_id, e.target_id) for e in matches] == [("sd0011", "sd0001")]
    assert matches[0].timestamp == datetime(2026, 11, 20, 19, 34, 1, tzinfo=UTC)
    assert member_id(1) == "sd0001"


def test_dates_split_holds_out_thirty_percent_of_everyone_give_or_take_one(data) -> None:  # type: ignore[no-untyped-def]
    split = make_split(data, "dates", seed=0)
    total, held = Counter(), Counter()
    for m in split.train + split.test:
        total.update((m.a, m.b))
    for m in split.test:
        held.update((m.a, m.b))
    assert all(abs(held[i] - 0.3 * n) < 1 for i, n in total.items())
    assert make_split(data, "dates", seed=0).test == split.test
    assert make_split(data, "dates", seed=1).test != split.test


def test_waves_split_holds_out_whole_events(data) -> None:  # type: ignore[no-untyped-def]
    split = make_split(data, "waves", seed=0)
    train_waves = {m.wave for m in split.train}
    test_waves = {m.wave for m in split.test}
    assert not train_waves & test_waves
    test_people = {i for m in split.test for i in (m.a, m.b)}
    assert len(test_people) >= 0.3 * len(data.participants)
