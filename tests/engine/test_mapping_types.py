"""Mappings: OpenSearch's dynamic defaults, field types, dates, geo points, objects."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy import OpenSearch, RequestError

from mutuo.engine.mapping import Mapping

TEXT_WITH_KEYWORD = {
    "type": "text",
    "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
}


def mapping_of(client: OpenSearch, index: str) -> dict[str, Any]:
    return client.indices.get_mapping(index=index)[index]["mappings"]


def test_dynamic_mapping_defaults(memory_client: OpenSearch) -> None:
    memory_client.index(
        index="d",
        id="1",
        body={
            "s": "hello",
            "n": 5,
            "f": 1.5,
            "b": True,
            "iso": "2024-01-02T10:00:00Z",
            "slash": "2024/01/02",
            "numeric_text": "42",
            "obj": {"x": 1},
            "empty": {},
            "arr": [1, 2],
            "nothing": None,
            "no_values": [],
        },
    )
    props = mapping_of(memory_client, "d")["properties"]
    assert props["s"] == TEXT_WITH_KEYWORD
    assert props["numeric_text"] == TEXT_WITH_KEYWORD  # numeric_detection is off by default
    assert props["n"] == {"type": "long"}
    assert props["f"] == {"type": "float"}
    assert props["b"] == {"type": "boolean"}
    assert props["iso"] == {"type": "date"}
    assert props["slash"] == {
        "type": "date",
        "format": "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis",
        "print_format": "yyyy/MM/dd HH:mm:ss",
    }
    assert props["obj"] == {"properties": {"x": {"type": "long"}}}
    assert props["empty"] == {"type": "object"}
    assert props["arr"] == {"type": "long"}
    assert "nothing" not in props and "no_values" not in props


def test_numeric_and_date_detection_switches() -> None:
    mapping = Mapping({"numeric_detection": True, "date_detection": False})
    mapping.parse_document({"i": "42", "f": "1.5", "d": "2024-01-02"}, "1")
    props = mapping.render()["properties"]
    assert props["i"] == {"type": "long"}
    assert props["f"] == {"type": "float"}
    assert props["d"] == TEXT_WITH_KEYWORD


def test_dotted_fields_are_objects(memory_client: OpenSearch) -> None:
    memory_client.index(index="d", id="1", body={"a.b.c": 1, "a": {"b": {"d": "x"}}})
    props = mapping_of(memory_client, "d")["properties"]
    assert props["a"]["properties"]["b"]["properties"]["c"] == {"type": "long"}
    assert props["a"]["properties"]["b"]["properties"]["d"] == TEXT_WITH_KEYWORD
    parsed = Mapping(mapping_of(memory_client, "d")).parse_document({"a.b.c": 7}, "2")
    assert parsed.values["a.b.c"] == [7]


def test_object_and_field_clash_is_rejected(memory_client: OpenSearch) -> None:
    memory_client.index(index="d", id="1", body={"o": {"x": 1}})
    with pytest.raises(RequestError) as info:
        memory_client.index(index="d", id="2", body={"o": 5})
    assert info.value.error == "mapper_parsing_exception"


def test_strict_and_false_dynamic_settings(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="strict",
        body={"mappings": {"dynamic": "strict", "properties": {"a": {"type": "keyword"}}}},
    )
    with pytest.raises(RequestError) as info:
        memory_client.index(index="strict", id="1", body={"a": "x", "b": 1})
    assert info.value.error == "strict_dynamic_mapping_exception"
    memory_client.indices.create(index="loose", body={"mappings": {"dynamic": False}})
    memory_client.index(index="loose", id="1", body={"b": 1})
    assert mapping_of(memory_client, "loose") == {"dynamic": "false"}
    assert memory_client.get(index="loose", id="1")["_source"] == {"b": 1}


@pytest.mark.parametrize(
    ("value", "millis"),
    [
        ("2024-01-02", 1704153600000),
        ("2024-01-02T10:30:00Z", 1704191400000),
        ("2024-01-02T10:30:00.250+01:00", 1704187800250),
        (1704153600000, 1704153600000),
        ("1704153600000", 1704153600000),
        (-1000, -1000),
        (2024, 1704067200000),  # a four-digit number is a year: the ISO format comes first
    ],
)
def test_default_date_format_reads_iso_dates_and_epoch_millis(value: Any, millis: int) -> None:
    mapping = Mapping({"properties": {"d": {"type": "date"}}})
    assert mapping.parse_document({"d": value}, "1").values["d"] == [millis]


def test_custom_date_format(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="d",
        body={
            "mappings": {
                "properties": {"d": {"type": "date", "format": "dd/MM/yyyy HH:mm||epoch_second"}}
            }
        },
    )
    memory_client.index(index="d", id="1", body={"d": "02/01/2024 10:30"})
    memory_client.index(index="d", id="2", body={"d": 1704153600})
    with pytest.raises(RequestError) as info:
        memory_client.index(index="d", id="3", body={"d": "2024-01-02"})
    assert "failed to parse date field [2024-01-02]" in str(info.value.info)
    mapping = Mapping(mapping_of(memory_client, "d"))
    assert mapping.parse_document({"d": "02/01/2024 10:30"}, "x").values["d"] == [1704191400000]
    assert mapping.parse_document({"d": 1704153600}, "x").values["d"] == [1704153600000]


@pytest.mark.parametrize(
    "value",
    [
        {"lat": 41.12, "lon": -71.34},
        {"lat": "41.12", "lon": "-71.34"},
        "41.12,-71.34",
        "41.12, -71.34",
        [-71.34, 41.12],
        [-71.34, 41.12, 10.0],
        "POINT (-71.34 41.12)",
        {"type": "Point", "coordinates": [-71.34, 41.12]},
        "drm3btev3e86",
    ],
    ids=[
        "object",
        "object-of-strings",
        "string",
        "string-spaced",
        "array",
        "array-with-z",
        "wkt",
        "geojson",
        "geohash",
    ],
)
def test_geo_point_accepts_every_input_form(memory_client: OpenSearch, value: Any) -> None:
    memory_client.indices.create(
        index="g", body={"mappings": {"properties": {"loc": {"type": "geo_point"}}}}
    )
    memory_client.index(index="g", id="1", body={"loc": value})
    mapping = Mapping(mapping_of(memory_client, "g"))
    ((lat, lon),) = mapping.parse_document({"loc": value}, "1").values["loc"]
    assert lat == pytest.approx(41.12, abs=1e-5)
    assert lon == pytest.approx(-71.34, abs=1e-5)


def test_geo_points_can_be_many_and_must_be_valid(memory_client: OpenSearch) -> None:
    mapping = Mapping({"properties": {"loc": {"type": "geo_point"}}})
    values = mapping.parse_document({"loc": [[-71.34, 41.12], "10,20"]}, "1").values["loc"]
    assert values == [(41.12, -71.34), (10.0, 20.0)]
    memory_client.indices.create(
        index="g", body={"mappings": {"properties": {"loc": {"type": "geo_point"}}}}
    )
    with pytest.raises(RequestError) as info:
        memory_client.index(index="g", id="1", body={"loc": {"lat": 100, "lon": 0}})
    assert "illegal latitude value [100.0]" in str(info.value.info)


@pytest.mark.parametrize(
    ("ftype", "value", "stored"),
    [
        ("integer", "7", 7),
        ("long", 7.0, 7),
        ("short", -3, -3),
        ("double", "2.5", 2.5),
        ("float", 0.1, float.__float__(0.10000000149011612)),
        ("boolean", "true", True),
        ("keyword", 12, "12"),
        ("unsigned_long", 18446744073709551615, 18446744073709551615),
    ],
)
def test_numeric_boolean_and_keyword_values(ftype: str, value: Any, stored: Any) -> None:
    mapping = Mapping({"properties": {"v": {"type": ftype}}})
    assert mapping.parse_document({"v": value}, "1").values["v"] == [stored]


@pytest.mark.parametrize(
    ("ftype", "value"), [("integer", 2**31), ("byte", 128), ("long", "x"), ("boolean", "yes")]
)
def test_out_of_range_and_malformed_values_are_rejected(ftype: str, value: Any) -> None:
    mapping = Mapping({"properties": {"v": {"type": ftype}}})
    with pytest.raises(Exception) as info:
        mapping.parse_document({"v": value}, "1")
    assert getattr(info.value, "error_type", "") == "mapper_parsing_exception"


def test_unsigned_long_documents_are_searchable(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="u", body={"mappings": {"properties": {"v": {"type": "unsigned_long"}}}}
    )
    memory_client.index(index="u", id="1", body={"v": 18446744073709551615}, refresh=True)
    assert memory_client.count(index="u")["count"] == 1


def test_dynamic_templates_match_by_detected_type_name_and_path() -> None:
    mapping = Mapping(
        {
            "dynamic_templates": [
                {"ids": {"match": "*_id", "mapping": {"type": "keyword"}}},
                {"dates": {"match_mapping_type": "date", "mapping": {"type": "date_nanos"}}},
                {"strings": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}},
                {"floats": {"match_mapping_type": "double", "mapping": {"type": "{dynamic_type}"}}},
                {"meta": {"path_match": "meta.*", "mapping": {"type": "keyword", "index": False}}},
            ]
        }
    )
    mapping.parse_document(
        {"user_id": 5, "born": "2000-01-01", "name": "ann", "score": 1.5, "meta": {"k": 1}}, "1"
    )
    props = mapping.render()["properties"]
    assert props["user_id"] == {"type": "keyword"}
    assert props["born"] == {"type": "date_nanos"}  # a date string is a date, not a string
    assert props["name"] == {"type": "keyword"}
    assert props["score"] == {"type": "float"}
    assert props["meta"]["properties"]["k"] == {"type": "keyword", "index": False}
