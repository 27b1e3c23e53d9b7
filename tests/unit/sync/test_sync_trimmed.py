"""Fingerprints of the owned fields, and which fields a trimmed update sends."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from mutuo.sync.known import Current, KnownDocs
from mutuo.sync.trimmed import changed_fields, fingerprint

PROFILE: dict[str, Any] = {
    "status": "active",
    "age_min": 28,
    "bio": "Weekends usually mean poetry and cats. Not great at yoga, but I try.",
    "interests": ["poetry", "cats"],
    "location": {"lat": 37.77, "lon": -122.42},
    "job": None,
    "last_active_at": "2026-11-30T12:00:00Z",
}


def sent_after(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return changed_fields(after, fingerprint(after), fingerprint(before))


def test_only_the_fields_whose_value_changed_are_sent() -> None:
    after = {**PROFILE, "last_active_at": "2026-12-01T08:00:00Z", "age_min": 30}
    assert sent_after(PROFILE, after) == {"last_active_at": "2026-12-01T08:00:00Z", "age_min": 30}


def test_an_unchanged_document_sends_no_field() -> None:
    assert sent_after(PROFILE, dict(PROFILE)) == {}


def test_a_change_deep_inside_a_long_value_is_sent() -> None:
    bio = PROFILE["bio"][:-1] + "!"
    after = {**PROFILE, "bio": bio, "location": {"lat": 37.77, "lon": -122.43}}
    assert sent_after(PROFILE, after) == {"bio": bio, "location": after["location"]}


def test_short_values_that_differ_only_in_type_are_sent() -> None:
    after = {**PROFILE, "age_min": 28.0, "job": ""}
    assert sent_after(PROFILE, after) == {"age_min": 28.0, "job": ""}


def test_a_field_that_was_cleared_or_filled_is_sent() -> None:
    after = {**PROFILE, "job": "nurse", "interests": None}
    assert sent_after(PROFILE, after) == {"job": "nurse", "interests": None}


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.lists(st.text(max_size=6), max_size=3),
)


@given(st.lists(st.tuples(VALUES, VALUES, st.booleans()), min_size=1, max_size=40))
def test_exactly_the_fields_whose_json_differs_are_sent(
    fields: list[tuple[Any, Any, bool]],
) -> None:
    """Any number of fields (the slots are found through one XOR of the fingerprints),
    any subset changed, values equal in Python but not in JSON (0 and 0.0, -0.0)."""
    before = {f"f{i}": a for i, (a, _b, _changed) in enumerate(fields)}
    after = {f"f{i}": (b if changed else a) for i, (a, b, changed) in enumerate(fields)}
    expected = {k: v for k, v in after.items() if orjson.dumps(v) != orjson.dumps(before[k])}
    assert sent_after(before, after) == expected


def test_another_field_layout_sends_every_field() -> None:
    """A mapping that gained, lost or reordered fields: the old fingerprint says nothing."""
    renamed = {("about" if k == "bio" else k): v for k, v in PROFILE.items()}
    assert sent_after(PROFILE, renamed) == renamed
    reordered = dict(reversed(PROFILE.items()))
    assert sent_after(PROFILE, reordered) == reordered
    grown = {**PROFILE, "headline": "hi"}
    assert sent_after(PROFILE, grown) == grown


def test_without_a_fingerprint_every_field_is_sent() -> None:
    assert changed_fields(PROFILE, fingerprint(PROFILE), None) == PROFILE


def test_a_value_json_cannot_fingerprint_is_always_sent_whole() -> None:
    huge = {**PROFILE, "age_min": 2**70}
    assert fingerprint(huge) is None
    assert changed_fields(huge, fingerprint(huge), fingerprint(huge)) == huge


def test_the_fields_sent_are_a_copy() -> None:
    sent = changed_fields(PROFILE, fingerprint(PROFILE), None)
    sent["bookkeeping"] = 1
    assert "bookkeeping" not in PROFILE


def test_fingerprints_survive_a_restart(tmp_path: Path) -> None:
    written = fingerprint(PROFILE)
    known = KnownDocs(path=tmp_path / "known.sqlite")
    known.scope("uuid-1")
    known.put("a", Current(True, 7, 1, 3, "h", written))
    known.close()
    again = KnownDocs(path=tmp_path / "known.sqlite")
    again.scope("uuid-1")
    assert again.get("a") == Current(True, 7, 1, 3, "h", written)


def test_a_state_from_before_fingerprints_is_migrated_and_its_entries_have_none(
    tmp_path: Path,
) -> None:
    path = tmp_path / "known.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE known (scope TEXT NOT NULL, id TEXT NOT NULL, exists_ INTEGER NOT NULL, "
        "seq_no INTEGER NOT NULL, primary_term INTEGER NOT NULL, version INTEGER, "
        "text_hash TEXT, PRIMARY KEY (scope, id)) WITHOUT ROWID"
    )
    old.execute("INSERT INTO known VALUES ('uuid-1', 'a', 1, 7, 1, 3, 'h')")
    old.commit()
    old.close()
    known = KnownDocs(path=path)
    known.scope("uuid-1")
    assert known.get("a") == Current(True, 7, 1, 3, "h", None)
    known.put("b", Current(True, 8, 1, 4, None, fingerprint(PROFILE)))
    known.close()
    again = KnownDocs(path=path)
    again.scope("uuid-1")
    assert again.get("b") == Current(True, 8, 1, 4, None, fingerprint(PROFILE))
