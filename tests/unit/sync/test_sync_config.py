"""Sync mapping files: every problem is reported with a JSON pointer."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mutuo.errors import ArtifactError
from mutuo.sync.config import load_mapping, parse_mapping

ROOT = Path(__file__).resolve().parents[3]


def profiles() -> dict:
    return yaml.safe_load((ROOT / "sync" / "profiles.yaml").read_text())


def pointers(body: dict) -> list[str]:
    mapping, problems = parse_mapping(body, "sync/x.yaml", "x")
    assert (mapping is None) == bool(problems)
    return [p.pointer for p in problems]


def test_the_project_mapping_parses() -> None:
    mapping = load_mapping(ROOT / "sync" / "profiles.yaml")
    assert mapping.index == "profiles" and mapping.write_mode == "merge"
    assert mapping.embedding is not None and mapping.embedding.dimension == 384
    assert mapping.status is not None and mapping.status.delete == ("deleted",)


def test_unknown_derived_function_points_at_it() -> None:
    body = profiles()
    body["derived"]["age"]["function"] = "age_in_dog_years"
    assert pointers(body) == ["/derived/age/function"]


def test_wrong_arity_points_at_from() -> None:
    body = profiles()
    body["derived"]["location"]["from"] = ["a", "b"]
    assert pointers(body) == ["/derived/location/from"]


def test_embedded_text_must_name_mapped_fields() -> None:
    body = profiles()
    body["embedding"]["text"].append("favourite_colour")
    assert pointers(body) == ["/embedding/text/5"]


def test_fields_the_sync_writes_itself_cannot_be_mapped() -> None:
    body = profiles()
    body["fields"]["source_version"] = "v"
    assert pointers(body) == ["/fields/source_version"]


def test_several_problems_are_all_reported() -> None:
    body = profiles()
    body["target"]["write"] = "overwrite"
    body["status"]["delete"] = ["active"]
    body["colour"] = "blue"
    assert sorted(pointers(body)) == ["/colour", "/status/delete", "/target/write"]


def test_load_mapping_raises_with_file_and_pointer(tmp_path: Path) -> None:
    body = profiles()
    del body["source"]["collection"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(ArtifactError) as info:
        load_mapping(path)
    assert info.value.pointer == "/source/collection"
    assert str(path) in str(info.value)


def test_invalid_yaml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("fields: [unclosed")
    with pytest.raises(ArtifactError, match="invalid YAML"):
        load_mapping(path)
