"""The compiled mapping (flat rules, derived functions looked up once, JSON-decoded
documents used as they are) maps every change exactly like the straightforward reading
of the rules below, which interprets the mapping per change as the first version did."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutuo.sync.changes import Change, json_safe
from mutuo.sync.config import DerivedRule, FieldRule, SyncMapping, TextPart, load_mapping
from mutuo.sync.derive import (
    DISTANCE_STEPS_KM,
    FUNCTIONS,
    DeriveContext,
    MappingError,
    completeness,
    distance_step,
)
from mutuo.sync.mapping import MappedDoc, Mapper, deleted, visibility

ROOT = Path(__file__).resolve().parents[3]
PROFILES = load_mapping(ROOT / "sync" / "profiles.yaml")
_MISSING = object()


def reference_get(document: Any, path: str) -> Any:
    node = document
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def reference_map(mapping: SyncMapping, change: Change) -> MappedDoc:
    """The mapping read rule by rule for each change (the oracle)."""
    if change.is_delete:
        return deleted(change)
    document = json_safe(change.document)
    fields: dict[str, Any] = {}
    for rule in mapping.fields:
        value = reference_get(document, rule.source)
        fields[rule.target] = rule.default if value is _MISSING or value is None else value
    ctx = DeriveContext(dt.datetime.fromtimestamp(change.source_time, tz=dt.UTC))
    derived = {}
    for d in mapping.derived:
        values = [reference_get(document, s) for s in d.sources]
        values = [None if v is _MISSING else v for v in values]
        try:
            derived[d.target] = FUNCTIONS[d.function].apply(values, ctx)
        except MappingError as exc:
            raise MappingError(f"derived field {d.target!r}: {exc}") from None
    fields.update(derived)
    visible = visibility(mapping.status, fields)  # the status rule itself: its own tests
    if visible is None:
        return deleted(change)
    return MappedDoc(
        change.doc_id,
        change.version,
        False,
        fields,
        reference_text(mapping, fields),
        visible,
        change.source_time,
        document,
    )


def reference_text(mapping: SyncMapping, fields: dict[str, Any]) -> str | None:
    spec = mapping.embedding
    if spec is None:
        return None
    parts = []
    for part in spec.text:
        value = fields.get(part.field)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value if v is not None and v != "")
        if value is None or value == "":
            continue
        parts.append(f"{part.prefix}{value}")
    return spec.separator.join(parts) or None


def outcome(mapper: Any, change: Change) -> tuple[str, Any]:
    """The mapped document with its field order, or the mapping error's message."""
    try:
        doc = mapper(change)
    except MappingError as exc:
        return "error", str(exc)
    return "doc", (dataclasses.astuple(doc), list(doc.fields))


# a mapping with dotted paths, defaults, a derived field replacing a plain one, and
# derived functions reading nested and missing values
NESTED = dataclasses.replace(
    PROFILES,
    fields=(
        *PROFILES.fields,
        FieldRule("home_city", "address.city", "nowhere"),
        FieldRule("zip", "address.zip.code"),
        FieldRule("age", "age"),  # replaced in place by the derived `age`
    ),
    derived=(
        *PROFILES.derived,
        DerivedRule("home", "geo_point", ("address.location",)),
        DerivedRule("filled", "completeness", ("address.city", "address.zip.code", "bio")),
    ),
    embedding=dataclasses.replace(
        PROFILES.embedding,  # type: ignore[arg-type]
        text=(*PROFILES.embedding.text, TextPart("home_city", "From: ")),  # type: ignore[union-attr]
    ),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.floats(-200, 200, allow_nan=False),
    st.sampled_from(["", "active", "hidden", "deleted", "1990-02-03", "2031-01-01", "x"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["lat", "lon", "city", "zip", "code", "type"]), inner)
    ),
    max_leaves=6,
)
points = st.one_of(
    values,
    st.fixed_dictionaries({"lat": st.floats(-95, 95), "lon": st.floats(-185, 185)}),
    st.fixed_dictionaries(
        {
            "type": st.just("Point"),
            "coordinates": st.tuples(st.floats(-185, 185), st.floats(-95, 95)),
        }
    ).map(lambda d: {**d, "coordinates": list(d["coordinates"])}),
)
KEYS = sorted(
    {s for r in NESTED.fields for s in [r.source.split(".")[0]]}
    | {s.split(".")[0] for r in NESTED.derived for s in r.sources}
)


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    doc = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=len(KEYS)))
    if draw(st.booleans()):
        doc["location"] = draw(points)
    if draw(st.booleans()):
        doc["address"] = {
            "city": draw(values),
            "zip": draw(st.one_of(values, st.fixed_dictionaries({"code": values}))),
            "location": draw(points),
        }
    if draw(st.booleans()):
        doc["birthdate"] = draw(st.dates(dt.date(1900, 1, 1), dt.date(2030, 1, 1))).isoformat()
    if draw(st.booleans()):
        doc["age_min"], doc["age_max"] = sorted(
            draw(st.lists(st.integers(18, 90), min_size=2, max_size=2))
        )
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=documents(),
    source_time=st.floats(0, 2_000_000_000),
    mapping=st.sampled_from([PROFILES, NESTED]),
)
def test_the_compiled_mapping_maps_like_the_rules_read_one_by_one(
    doc: dict[str, Any], source_time: float, mapping: SyncMapping
) -> None:
    mapper = Mapper(mapping)
    as_json = orjson.loads(orjson.dumps(doc))  # what a file source decodes
    for change in (
        Change("update", "m1", 3, doc, source_time),
        Change("update", "m1", 3, as_json, source_time, plain=True),
    ):
        assert outcome(mapper.map, change) == outcome(lambda c: reference_map(mapping, c), change)


def test_one_mapper_gives_each_change_the_age_at_its_own_time() -> None:
    """The derive context is kept between changes; it must follow each change's time."""
    mapper = Mapper(PROFILES)
    doc = {"birthdate": "2000-06-01"}
    times = [
        dt.datetime(2026, m, d, tzinfo=dt.UTC).timestamp() for m, d in ((5, 31), (6, 1), (5, 31))
    ]
    ages = [mapper.map(Change("update", "m", 1, doc, t, plain=True)).fields["age"] for t in times]
    assert ages == [25, 26, 25]


def test_a_plain_change_is_mapped_from_its_own_document() -> None:
    """A JSON-decoded document is used as it is (no converted copy): the dead-letter
    source is that document."""
    doc = {"status": "active", "bio": "hi"}
    assert Mapper(PROFILES).map(Change("update", "m", 1, doc, 0.0, plain=True)).source is doc


@pytest.mark.parametrize("limit", [0.5, 1, 1.5, 2, 4.99, 5, 24, 25, 999, 1000, 20040, 1e9])
def test_distance_steps_snap_down_like_the_list_of_fitting_steps(limit: float) -> None:
    fitting = [step for step in DISTANCE_STEPS_KM if step <= limit]
    expected = fitting[-1] if fitting else DISTANCE_STEPS_KM[0]
    assert distance_step([limit], DeriveContext(dt.datetime.now(dt.UTC))) == expected


@given(st.lists(values, min_size=1, max_size=8))
def test_completeness_counts_what_is_filled_in(items: list[Any]) -> None:
    filled = sum(1 for v in items if v is not None and v != "" and v != [] and v != {})
    ctx = DeriveContext(dt.datetime.now(dt.UTC))
    assert completeness(items, ctx) == round(filled / len(items), 2)
