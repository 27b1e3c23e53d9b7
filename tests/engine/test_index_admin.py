"""Index administration: create/get/delete, mappings, settings, cat, health, templates."""

from __future__ import annotations

import pytest
from opensearchpy import NotFoundError, OpenSearch, RequestError


def test_root_and_cluster_health(memory_client: OpenSearch) -> None:
    info = memory_client.info()
    assert info["version"]["number"] == "3.8.0"
    assert memory_client.cluster.health()["status"] == "green"  # no indices yet
    memory_client.indices.create(index="people")  # one replica by default: unassignable
    assert memory_client.cluster.health()["status"] == "yellow"
    memory_client.indices.put_settings(index="people", body={"index": {"number_of_replicas": 0}})
    assert memory_client.cluster.health(index="people")["status"] == "green"


def test_cat_indices_text_and_json(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"a": 1}, refresh=True)
    text = memory_client.cat.indices(v=True)
    header, row = text.strip().splitlines()
    assert header.split()[:7] == ["health", "status", "index", "uuid", "pri", "rep", "docs.count"]
    assert row.split()[2] == "people" and row.split()[6] == "1"
    rows = memory_client.cat.indices(format="json", h="index,docs.count")
    assert rows == [{"index": "people", "docs.count": "1"}]


def test_create_get_exists_delete(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="people",
        body={
            "settings": {"number_of_shards": 1, "number_of_replicas": 0},
            "mappings": {"properties": {"name": {"type": "keyword"}}},
            "aliases": {"members": {}},
        },
    )
    got = memory_client.indices.get(index="people")["people"]
    assert got["settings"]["index"]["number_of_replicas"] == "0"
    assert got["mappings"] == {"properties": {"name": {"type": "keyword"}}}
    assert got["aliases"] == {"members": {}}
    assert memory_client.indices.exists(index="people") is True
    with pytest.raises(RequestError) as info:
        memory_client.indices.create(index="people")
    assert info.value.error == "resource_already_exists_exception"
    memory_client.indices.delete(index="people")
    assert memory_client.indices.exists(index="people") is False
    with pytest.raises(NotFoundError):
        memory_client.indices.delete(index="people")


@pytest.mark.parametrize(
    ("name", "why"),
    [("People", "must be lowercase"), ("_p", "must not start with"), ("a,b", "must not contain")],
)
def test_invalid_index_names(memory_client: OpenSearch, name: str, why: str) -> None:
    with pytest.raises(RequestError) as info:
        memory_client.indices.create(index=name)
    assert info.value.error == "invalid_index_name_exception"
    assert why in info.value.info["error"]["reason"]


def test_unknown_create_key_and_mapping_parameter_are_named(memory_client: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        memory_client.indices.create(index="a", body={"mapping": {}})
    assert "unknown key [mapping]" in info.value.info["error"]["reason"]
    with pytest.raises(RequestError) as info:
        memory_client.indices.create(
            index="b", body={"mappings": {"properties": {"x": {"type": "keyword", "bogus": 1}}}}
        )
    assert "unknown parameter [bogus]" in info.value.info["error"]["reason"]


def test_put_mapping_adds_fields_and_rejects_conflicts(memory_client: OpenSearch) -> None:
    memory_client.indices.create(index="people")
    memory_client.indices.put_mapping(
        index="people", body={"properties": {"name": {"type": "keyword"}}}
    )
    memory_client.indices.put_mapping(
        index="people", body={"properties": {"age": {"type": "integer"}}}
    )
    mapping = memory_client.indices.get_mapping(index="people")["people"]["mappings"]
    assert mapping == {"properties": {"age": {"type": "integer"}, "name": {"type": "keyword"}}}
    with pytest.raises(RequestError) as info:
        memory_client.indices.put_mapping(
            index="people", body={"properties": {"name": {"type": "long"}}}
        )
    assert info.value.info["error"]["reason"] == (
        "mapper [name] cannot be changed from type [keyword] to [long]"
    )


def test_settings_get_and_put(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="people", body={"settings": {"index.refresh_interval": "5s"}}
    )
    settings = memory_client.indices.get_settings(index="people")["people"]["settings"]
    assert settings["index"]["refresh_interval"] == "5s"
    memory_client.indices.put_settings(index="people", body={"index": {"refresh_interval": "1s"}})
    flat = memory_client.indices.get_settings(index="people", flat_settings=True)
    assert flat["people"]["settings"]["index.refresh_interval"] == "1s"
    with pytest.raises(RequestError) as info:
        memory_client.indices.put_settings(index="people", body={"index": {"number_of_shards": 2}})
    assert "Can't update non dynamic settings" in info.value.info["error"]["reason"]
    with pytest.raises(RequestError) as info:
        memory_client.indices.put_settings(index="people", body={"index": {"frobnicate": 1}})
    assert "unknown setting [index.frobnicate]" in info.value.info["error"]["reason"]


def test_templates_compose_and_the_request_body_wins(memory_client: OpenSearch) -> None:
    memory_client.cluster.put_component_template(
        name="base",
        body={
            "template": {
                "settings": {"number_of_replicas": 0},
                "mappings": {"properties": {"name": {"type": "keyword"}}},
            }
        },
    )
    memory_client.indices.put_index_template(
        name="profiles",
        body={
            "index_patterns": ["profiles-*"],
            "composed_of": ["base"],
            "priority": 10,
            "template": {
                "mappings": {"properties": {"bio": {"type": "text"}}},
                "aliases": {"profiles": {}},
            },
        },
    )
    memory_client.indices.put_index_template(
        name="catch-all", body={"index_patterns": ["*"], "priority": 1}
    )
    memory_client.index(index="profiles-1", id="1", body={"name": "a", "age": 3})
    implicit = memory_client.indices.get(index="profiles-1")["profiles-1"]
    assert implicit["mappings"]["properties"]["name"] == {"type": "keyword"}
    assert implicit["mappings"]["properties"]["bio"] == {"type": "text"}
    assert implicit["aliases"] == {"profiles": {}}
    assert implicit["settings"]["index"]["number_of_replicas"] == "0"
    memory_client.indices.create(
        index="profiles-2", body={"mappings": {"properties": {"name": {"type": "text"}}}}
    )
    explicit = memory_client.indices.get_mapping(index="profiles-2")["profiles-2"]["mappings"]
    assert explicit["properties"]["name"] == {"type": "text"}
    with pytest.raises(RequestError):
        memory_client.indices.put_index_template(
            name="clash", body={"index_patterns": ["profiles-x*"], "priority": 10}
        )


def test_index_template_crud(memory_client: OpenSearch) -> None:
    memory_client.indices.put_index_template(
        name="t", body={"index_patterns": "t-*", "template": {"settings": {"number_of_shards": 1}}}
    )
    got = memory_client.indices.get_index_template(name="t")["index_templates"][0]
    assert got["index_template"]["index_patterns"] == ["t-*"]
    assert got["index_template"]["template"]["settings"] == {"index": {"number_of_shards": "1"}}
    with pytest.raises(RequestError):
        memory_client.indices.put_index_template(
            name="t", body={"index_patterns": ["t-*"]}, create=True
        )
    memory_client.indices.delete_index_template(name="t")
    with pytest.raises(NotFoundError):
        memory_client.indices.get_index_template(name="t")


def test_alias_actions_are_atomic_and_resolve_reads(memory_client: OpenSearch) -> None:
    memory_client.index(index="v1", id="1", body={"a": 1})
    memory_client.indices.create(index="v2")
    memory_client.indices.update_aliases(
        body={"actions": [{"add": {"index": "v1", "alias": "people", "is_write_index": True}}]}
    )
    assert memory_client.get(index="people", id="1")["_index"] == "v1"
    with pytest.raises(NotFoundError):
        memory_client.indices.update_aliases(
            body={
                "actions": [
                    {"add": {"index": "v2", "alias": "people"}},
                    {"remove": {"index": "v1", "alias": "missing", "must_exist": True}},
                ]
            }
        )
    assert memory_client.indices.get_alias(name="people") == {
        "v1": {"aliases": {"people": {"is_write_index": True}}}
    }
    memory_client.indices.update_aliases(
        body={
            "actions": [
                {"remove": {"index": "v1", "alias": "people"}},
                {"add": {"index": "v2", "alias": "people"}},
            ]
        }
    )
    assert memory_client.index(index="people", id="2", body={"a": 2})["_index"] == "v2"
    assert memory_client.indices.exists_alias(name="people") is True
    memory_client.indices.delete_alias(index="v2", name="people")
    assert memory_client.indices.exists_alias(name="people") is False


def test_an_alias_without_a_write_index_refuses_writes(memory_client: OpenSearch) -> None:
    memory_client.indices.create(index="a", body={"aliases": {"both": {}}})
    memory_client.indices.create(index="b", body={"aliases": {"both": {}}})
    with pytest.raises(RequestError) as info:
        memory_client.index(index="both", id="1", body={"x": 1})
    assert "no write index is defined for alias [both]" in info.value.info["error"]["reason"]
    with pytest.raises(RequestError) as info:
        memory_client.get(index="both", id="1")
    assert "more than one index" in info.value.info["error"]["reason"]


def test_health_wait_for_status_times_out_at_once_when_unreachable(
    memory_client: OpenSearch,
) -> None:
    memory_client.indices.create(index="people")
    health = memory_client.cluster.health(wait_for_status="green", ignore=408)
    assert (health["status"], health["timed_out"]) == ("yellow", True)
    assert memory_client.cluster.health(wait_for_status="yellow")["timed_out"] is False


def test_auto_expand_replicas_is_green_on_one_node(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="people", body={"settings": {"index": {"auto_expand_replicas": "0-1"}}}
    )
    assert memory_client.cluster.health()["status"] == "green"
    written = memory_client.index(index="people", id="1", body={"a": 1})
    assert written["_shards"] == {"total": 1, "successful": 1, "failed": 0}
