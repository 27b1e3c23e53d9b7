"""Reading the Columbia Speed Dating Experiment (Fisman & Iyengar) in place.

The CSV (``speed_dating.csv.gz``, see ``../shared/data/README.md``) has one row per
(participant, partner) meeting seen from the participant's side, so a meeting appears
twice. Sign-up answers repeat on every row of a participant; they become one
:class:`Participant`. The decisions of both sides become one :class:`Meeting` per pair.

Quirks handled here (all from the data README and the codebook): the file is Mac Roman,
numbers may carry thousands separators (``"69,487.00"``), missing values are empty
strings, and waves 6-9 rated preferences on 1-10 where the other waves allocated 100
points (normalised here to shares that sum to 100 so waves are comparable).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ...errors import MutuoError

FILE_NAME = "speed_dating.csv.gz"

# the 17 activities of the sign-up survey (question 12), in codebook order, with its wording
ACTIVITIES = {
    "sports": "playing sports",
    "tvsports": "watching sports",
    "exercise": "exercising",
    "dining": "dining out",
    "museums": "museums and galleries",
    "art": "art",
    "hiking": "hiking and camping",
    "gaming": "gaming",
    "clubbing": "dancing and clubbing",
    "reading": "reading",
    "tv": "watching TV",
    "theater": "theater",
    "movies": "movies",
    "concerts": "concerts",
    "music": "music",
    "shopping": "shopping",
    "yoga": "yoga and meditation",
}
# what you look for in a date (attr1_1 ... shar1_1)
ATTRIBUTES = {
    "attr": "attractive",
    "sinc": "sincere",
    "intel": "intelligent",
    "fun": "fun",
    "amb": "ambitious",
    "shar": "shared interests",
}
GOALS = {
    1: "a fun night out",
    2: "to meet new people",
    3: "to get a date",
    4: "a serious relationship",
    5: "to say I did it",
    6: "other",
}
RACES = {
    1: "Black/African American",
    2: "European/Caucasian-American",
    3: "Latino/Hispanic American",
    4: "Asian/Pacific Islander/Asian-American",
    5: "Native American",
    6: "Other",
}
FIELDS = {
    1: "Law",
    2: "Math",
    3: "Social Science, Psychologist",
    4: "Medical Science, Pharmaceuticals, and Bio Tech",
    5: "Engineering",
    6: "English/Creative Writing/Journalism",
    7: "History/Religion/Philosophy",
    8: "Business/Econ/Finance",
    9: "Education, Academia",
    10: "Biological Sciences/Chemistry/Physics",
    11: "Social Work",
    12: "Undergrad/undecided",
    13: "Political Science/International Affairs",
    14: "Film",
    15: "Fine Arts/Arts Administration",
    16: "Languages",
    17: "Architecture",
    18: "Other",
}


@dataclass(frozen=True)
class Participant:
    """A participant's sign-up answers (Time 1): what a profile can honestly know."""

    iid: int
    wave: int
    gender: str  # "woman" (coded 0) or "man" (coded 1)
    age: int | None
    race: int | None
    field: str  # free text as typed, e.g. "Law"
    field_code: int | None
    career: str  # free text as typed
    goal: int | None
    date_frequency: int | None  # 1 = several times a week ... 7 = almost never
    go_out: int | None
    activities: dict[str, int]  # the 17 interest ratings, 1-10 (missing ones absent)
    preferences: dict[str, float]  # what they look for, shares of 100 (empty when unanswered)
    self_ratings: dict[str, int]  # attr3_1 ... amb3_1, 1-10
    importance_same_race: int | None
    importance_same_religion: int | None
    origin: str


@dataclass(frozen=True)
class Meeting:
    """One four-minute date between two participants and both decisions."""

    wave: int
    a: int  # iid of one side (the smaller iid)
    b: int  # iid of the other side
    order_a: int | None  # the number of the date that night for a
    order_b: int | None
    a_likes_b: bool  # a's decision ("dec" on a's row)
    b_likes_a: bool

    @property
    def match(self) -> bool:
        return self.a_likes_b and self.b_likes_a


@dataclass(frozen=True)
class SpeedDating:
    participants: dict[int, Participant]
    meetings: list[Meeting]

    def partners_of(self, iid: int) -> list[tuple[int, Meeting]]:
        return [(m.b if m.a == iid else m.a, m) for m in self.meetings if iid in (m.a, m.b)]


def _number(text: str) -> float | None:
    text = text.strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _integer(text: str) -> int | None:
    value = _number(text)
    return None if value is None else round(value)


def _preferences(row: dict[str, str]) -> dict[str, float]:
    """Each attribute's share of the participant's total, in percent: waves 6-9 rated each
    attribute 1-10 and the others allocated 100 points (whose sums range from 90 to 148 in
    the data), and shares make both comparable."""
    raw = {name: _number(row[f"{code}1_1"]) for code, name in ATTRIBUTES.items()}
    values = {name: v for name, v in raw.items() if v is not None}
    total = sum(values.values())
    if len(values) < len(ATTRIBUTES) or total <= 0:
        return {}
    return {name: round(100.0 * v / total, 2) for name, v in values.items()}


def participant_from_row(row: dict[str, str]) -> Participant:
    wave = int(row["wave"])
    activities = {key: _integer(row[key]) for key in ACTIVITIES}
    self_ratings = {
        name: _integer(row[f"{code}3_1"]) for code, name in ATTRIBUTES.items() if code != "shar"
    }
    return Participant(
        iid=int(row["iid"]),
        wave=wave,
        gender="man" if row["gender"].strip() == "1" else "woman",
        age=_integer(row["age"]),
        race=_integer(row["race"]),
        field=row["field"].strip(),
        field_code=_integer(row["field_cd"]),
        career=row["career"].strip(),
        goal=_integer(row["goal"]),
        date_frequency=_integer(row["date"]),
        go_out=_integer(row["go_out"]),
        activities={k: v for k, v in activities.items() if v is not None},
        preferences=_preferences(row),
        self_ratings={k: v for k, v in self_ratings.items() if v is not None},
        importance_same_race=_integer(row["imprace"]),
        importance_same_religion=_integer(row["imprelig"]),
        origin=row["from"].strip(),
    )


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    """The CSV's rows as dicts, decoded as Mac Roman (the file's real encoding)."""
    file = path / FILE_NAME if path.is_dir() else path
    if not file.exists():
        raise MutuoError(
            f"no {FILE_NAME} at {path}: pass the speed_dating folder of the shared data, "
            "e.g. ../shared/data/speed_dating"
        )
    with gzip.open(file) as raw:
        yield from csv.DictReader(io.TextIOWrapper(raw, encoding="mac_roman", newline=""))


def load(path: str | Path) -> SpeedDating:
    """Participants and meetings; a row whose partner is unknown (``pid`` empty, 10 rows)
    or whose mirror row is missing yields no meeting, since one decision alone cannot say
    whether the pair matched."""
    participants: dict[int, Participant] = {}
    decisions: dict[tuple[int, int], tuple[bool, int | None, int]] = {}
    for row in read_rows(Path(path)):
        iid = int(row["iid"])
        if iid not in participants:
            participants[iid] = participant_from_row(row)
        pid = _integer(row["pid"])
        if pid is not None:
            decisions[(iid, pid)] = (
                row["dec"].strip() == "1",
                _integer(row["order"]),
                int(row["wave"]),
            )
    meetings = []
    for (a, b), (a_likes_b, order_a, wave) in sorted(decisions.items()):
        if a < b and (b, a) in decisions:
            b_likes_a, order_b, _ = decisions[(b, a)]
            meetings.append(Meeting(wave, a, b, order_a, order_b, a_likes_b, b_likes_a))
    return SpeedDating(participants, meetings)
