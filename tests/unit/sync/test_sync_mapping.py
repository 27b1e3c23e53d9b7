"""Applying sync/profiles.yaml to changes: fields, derived values, status rules, text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from bson import Decimal128, ObjectId

from mutuo.demo.population import generate_members
from mutuo.sync.changes import Change, doc_id_of, json_safe, timestamp_version, version_time
from mutuo.sync.config import load_mapping
from mutuo.sync.derive import MappingError
from mutuo.sync.mapping import Mapper

ROOT = Path(__file__).resolve().parents[3]
AT = dt.datetime(2026, 11, 22, tzinfo=dt.UTC).timestamp()


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    return Mapper(load_mapping(ROOT / "sync" / "profiles.yaml"))


def member_change(doc: dict, op: str = "insert", version: int = 10) -> Change:
    return Change(op, "m1", version, doc, AT)


def test_every_demo_member_maps_with_age_location_and_text(mapper: Mapper) -> None:
    generated_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # generate_members' default "now"
    for member in generate_members(50, now=generated_at):
        mapped = mapper.map(
            Change("insert", member.id, 1, member.profile, generated_at.timestamp())
        )
        assert not mapped.delete and mapped.visible
        assert mapped.fields["age"] == member.profile["age"]
        assert mapped.fields["location"] == member.profile["location"]
        assert mapped.fields["headline"] == member.profile["headline"]
        assert mapped.text is not None and member.profile["bio"] in mapped.text
        assert "Interests: " + ", ".join(member.profile["interests"]) in mapped.text


def test_missing_source_fields_are_cleared_and_defaults_apply(mapper: Mapper) -> None:
    mapped = mapper.map(member_change({"headline": "hi"}))
    assert mapped.fields["status"] == "active"  # default
    assert mapped.fields["bio"] is None and mapped.fields["location"] is None
    assert mapped.text == "hi"


def test_text_follows_the_configured_order_and_prefixes(mapper: Mapper) -> None:
    mapped = mapper.map(
        member_change(
            {"headline": "H", "bio": "B", "interests": ["a", "b"], "skills": [], "job": "nurse"}
        )
    )
    assert mapped.text == "H\nB\nInterests: a, b\nWork: nurse"


def test_a_document_without_text_embeds_nothing(mapper: Mapper) -> None:
    assert mapper.map(member_change({"status": "active"})).text is None


@pytest.mark.parametrize(
    ("status", "delete", "visible"),
    [
        ("active", False, True),
        ("hidden", False, False),
        ("paused", False, False),
        ("deleted", True, False),
    ],
)
def test_status_rules(mapper: Mapper, status: str, delete: bool, visible: bool) -> None:
    mapped = mapper.map(member_change({"status": status, "bio": "x"}))
    assert (mapped.delete, mapped.visible) == (delete, visible)
    if delete:
        assert mapped.fields == {} and mapped.text is None


def test_a_source_delete_is_a_delete(mapper: Mapper) -> None:
    mapped = mapper.map(Change("delete", "m1", 11, None, AT))
    assert mapped.delete and mapped.version == 11


@pytest.mark.parametrize(
    "doc", [{"location": {"lat": 100, "lon": 0}}, {"birthdate": "yesterday"}, {"status": 3}]
)
def test_unmappable_documents_raise_mapping_error(mapper: Mapper, doc: dict) -> None:
    with pytest.raises(MappingError):
        mapper.map(member_change(doc))


def test_age_is_derived_as_of_the_change_not_the_wall_clock(mapper: Mapper) -> None:
    birthday = {"birthdate": "2000-06-01"}
    before = Change(
        "insert", "m1", 1, birthday, dt.datetime(2026, 5, 31, tzinfo=dt.UTC).timestamp()
    )
    after = Change("insert", "m1", 2, birthday, dt.datetime(2026, 6, 1, tzinfo=dt.UTC).timestamp())
    assert (mapper.map(before).fields["age"], mapper.map(after).fields["age"]) == (25, 26)


def test_bson_values_become_plain_json() -> None:
    oid = ObjectId("64b7f0c2a1b2c3d4e5f60718")
    doc = {
        "_id": oid,
        "at": dt.datetime(2026, 1, 2, 3, 4, 5, 678000),
        "n": Decimal128("1.5"),
        "b": b"\x01\x02",
        "nested": [{"d": dt.date(2020, 1, 1)}],
    }
    assert json_safe(doc) == {
        "_id": "64b7f0c2a1b2c3d4e5f60718",
        "at": "2026-01-02T03:04:05.678Z",
        "n": 1.5,
        "b": "AQI=",
        "nested": [{"d": "2020-01-01"}],
    }
    assert doc_id_of(oid) == "64b7f0c2a1b2c3d4e5f60718"
    assert doc_id_of(42) == "42"


def test_timestamp_versions_order_like_cluster_times() -> None:
    assert timestamp_version(100, 2) > timestamp_version(100, 1) > timestamp_version(99, 5000)
    assert version_time(timestamp_version(1_800_000_000, 7)) == 1_800_000_000
