"""``mutuo validate``: the project's artifacts are valid, and each kind of mistake is
reported against the right file and JSON pointer."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mutuo.artifacts.apply import load_artifacts, validate
from mutuo.artifacts.compose import compose, flatten_settings, layout_digest
from mutuo.cli.app import cli

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for folder in ("index_templates", "sync"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    body = json.loads(path.read_text())
    change(body)
    path.write_text(json.dumps(body))


def edit_yaml(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    body = yaml.safe_load(path.read_text())
    change(body)
    path.write_text(yaml.safe_dump(body))


def problems(root: Path) -> list[tuple[str, str]]:
    return [(p.path, p.pointer) for p in validate(load_artifacts(root))]


def test_the_project_artifacts_are_valid() -> None:
    artifacts = load_artifacts(ROOT)
    assert validate(artifacts) == []
    assert {k: len(v) for k, v in artifacts.by_kind.items() if v} == {
        "component_template": 2,
        "index_template": 5,
        "ltr_featureset": 1,
        "ltr_model": 1,
        "search_pipeline": 1,
        "search_template": 3,
        "sync_mapping": 1,
    }


def test_profiles_has_every_field_of_the_data_model() -> None:
    artifacts = load_artifacts(ROOT)
    template = artifacts.get("index_template", "profiles")
    assert template is not None
    mappings, settings = compose(template.body, artifacts.bodies("component_template"))
    props = mappings["properties"]
    for name in (
        "status",
        "role",
        "gender",
        "seeking",
        "age",
        "age_min",
        "age_max",
        "max_distance_km",
        "headline",
        "bio",
        "interests",
        "skills",
        "languages",
        "created_at",
        "last_active_at",
        "impressions_1d",
        "impressions_7d",
        "likes_received_7d",
        "likes_sent_7d",
        "like_rate",
        "reply_rate",
        "matches_7d",
        "exposure_factor",
        "explore_bonus",
        "blocked_ids",
    ):
        assert name in props, name
    assert props["location"]["type"] == "geo_point"
    for vector, dimension in (("profile_vector", 384), ("taste_vector", 384), ("graph_vector", 64)):
        spec = props[vector]
        assert (
            spec["type"],
            spec["dimension"],
            spec["method"]["space_type"],
            spec["method"]["engine"],
            spec["method"]["name"],
        ) == ("knn_vector", dimension, "cosinesimil", "faiss", "hnsw")
    assert settings["index.knn"] == "true"


def test_an_unknown_component_template_is_pointed_at(project: Path) -> None:
    edit_json(
        project / "index_templates/profiles.json", lambda b: b["composed_of"].append("mutuo-typo")
    )
    assert problems(project) == [("index_templates/profiles.json", "/composed_of/2")]


def test_vectors_without_index_knn_are_reported_on_the_template(project: Path) -> None:
    edit_json(
        project / "index_templates/components/mutuo-vectors.json",
        lambda b: b["template"].pop("settings"),
    )
    assert problems(project) == [("index_templates/profiles.json", "/template/settings")]


def test_a_field_the_engine_refuses_is_reported_with_its_reason(project: Path) -> None:
    edit_json(
        project / "index_templates/viewer_state.json",
        lambda b: b["template"]["mappings"]["properties"].update(notes={"type": "flat_object"}),
    )
    found = validate(load_artifacts(project))
    assert [(p.path, p.pointer) for p in found] == [
        ("index_templates/viewer_state.json", "/template")
    ]
    assert "flat_object" in found[0].message


def test_patterns_must_cover_the_physical_indices_of_the_alias(project: Path) -> None:
    edit_json(
        project / "index_templates/ubi_events.json",
        lambda b: b.update(index_patterns=["ubi-events-*"]),
    )
    assert problems(project) == [("index_templates/ubi_events.json", "/index_patterns")]


def test_sync_fields_must_exist_in_the_target_mapping(project: Path) -> None:
    edit_yaml(project / "sync/profiles.yaml", lambda b: b["fields"].update(shoe_size="shoe_size"))
    assert problems(project) == [("sync/profiles.yaml", "/fields/shoe_size")]


def test_the_embedding_must_fit_the_vector_field(project: Path) -> None:
    edit_yaml(project / "sync/profiles.yaml", lambda b: b["embedding"].update(dimension=768))
    assert problems(project) == [("sync/profiles.yaml", "/embedding/dimension")]


def test_the_sync_target_must_be_a_managed_alias(project: Path) -> None:
    edit_yaml(project / "sync/profiles.yaml", lambda b: b["target"].update(index="people"))
    assert problems(project) == [("sync/profiles.yaml", "/target/index")]


def test_bookkeeping_fields_need_the_right_types(project: Path) -> None:
    edit_json(
        project / "index_templates/profiles.json",
        lambda b: b["template"]["mappings"]["properties"]["source_version"].update(type="keyword"),
    )
    assert problems(project) == [("sync/profiles.yaml", "/target/version_field")]


def test_syntax_errors_and_unknown_keys_are_problems_not_crashes(project: Path) -> None:
    (project / "index_templates/components/mutuo-base.json").write_text('{"template": ')
    edit_json(project / "index_templates/viewer_state.json", lambda b: b.update(prority=3))
    found = problems(project)
    assert ("index_templates/components/mutuo-base.json", "") in found
    assert ("index_templates/viewer_state.json", "/prority") in found


def test_mutuo_validate_exits_1_and_lists_problems_as_json(project: Path) -> None:
    edit_json(project / "index_templates/profiles.json", lambda b: b["composed_of"].append("nope"))
    result = CliRunner().invoke(cli, ["validate", "--artifacts", str(project), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    assert report["problems"] == [
        {
            "file": "index_templates/profiles.json",
            "pointer": "/composed_of/2",
            "message": "component template 'nope' is not defined in index_templates/components/",
        }
    ]


def test_the_layout_digest_ignores_dynamic_settings_and_meta() -> None:
    mappings = {"properties": {"a": {"type": "keyword"}}}
    base = layout_digest(
        mappings, flatten_settings({"number_of_shards": 1, "refresh_interval": "1s"})
    )
    assert (
        layout_digest(
            {**mappings, "_meta": {"doc": "x"}},
            flatten_settings({"index": {"number_of_shards": "1", "refresh_interval": "5s"}}),
        )
        == base
    )
    assert layout_digest(mappings, flatten_settings({"number_of_shards": 2})) != base
    assert (
        layout_digest(
            {"properties": {"a": {"type": "text"}}}, flatten_settings({"number_of_shards": 1})
        )
        != base
    )
