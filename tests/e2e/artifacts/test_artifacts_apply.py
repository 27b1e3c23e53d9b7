"""``mutuo apply`` against the embedded engine: a plan first, idempotent application,
settings changed in place, and a failed reindex that leaves the alias serving as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from opensearchpy import OpenSearch

import mutuo
from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.cli.app import cli
from mutuo.errors import MutuoError

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for folder in ("index_templates", "sync"):
        shutil.copytree(ROOT / folder, tmp_path / "project" / folder)
    return tmp_path / "project"


def plan_of(client: OpenSearch, root: Path) -> dict[tuple[str, str], str]:
    return {(i.kind, i.name): i.action for i in make_plan(client, load_artifacts(root))}


def apply(client: OpenSearch, root: Path) -> list[str]:
    log: list[str] = []
    apply_plan(client, make_plan(client, load_artifacts(root)), log.append)
    return log


def edit_json(path: Path, change: Any) -> None:
    body = json.loads(path.read_text())
    change(body)
    path.write_text(json.dumps(body))


def test_a_fresh_cluster_gets_everything_and_a_second_apply_changes_nothing(
    memory_client: OpenSearch, project: Path
) -> None:
    first = plan_of(memory_client, project)
    assert set(first.values()) == {"create"} and len(first) == 12
    apply(memory_client, project)
    assert set(plan_of(memory_client, project).values()) == {"unchanged"}
    assert memory_client.indices.get_alias(name="profiles") == {
        "profiles-v1": {"aliases": {"profiles": {}}}
    }
    mapping = memory_client.indices.get_mapping(index="profiles")["profiles-v1"]["mappings"]
    assert mapping["properties"]["profile_vector"]["dimension"] == 384
    assert (
        memory_client.indices.get_settings(index="profiles")["profiles-v1"]["settings"]["index"][
            "knn"
        ]
        == "true"
    )


def test_dry_run_changes_nothing(memory_client: OpenSearch, project: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--opensearch-url",
            "embedded://:memory:",
            "apply",
            "--artifacts",
            str(project),
            "--dry-run",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dry_run"] and report["applied"] == 0 and len(report["plan"]) == 12
    assert not memory_client.indices.exists(index="profiles")


def test_a_dynamic_setting_is_changed_in_place(memory_client: OpenSearch, project: Path) -> None:
    apply(memory_client, project)
    memory_client.index(index="viewer_state", id="a", body={"member_id": "a"}, refresh=True)
    edit_json(
        project / "index_templates/components/mutuo-base.json",
        lambda b: b["template"]["settings"]["index"].update(refresh_interval="5s"),
    )
    plan = plan_of(memory_client, project)
    assert plan[("component_template", "mutuo-base")] == "update"
    assert plan[("index", "viewer_state")] == "update"
    assert plan[("index", "profiles")] == "unchanged"  # its template sets its own interval
    apply(memory_client, project)
    settings = memory_client.indices.get_settings(index="viewer_state", flat_settings=True)
    assert settings["viewer_state-v1"]["settings"]["index.refresh_interval"] == "5s"
    assert memory_client.count(index="viewer_state")["count"] == 1  # same index, same documents
    assert set(plan_of(memory_client, project).values()) == {"unchanged"}


def test_a_mapping_change_plans_a_reindex_into_the_next_version(
    memory_client: OpenSearch, project: Path
) -> None:
    apply(memory_client, project)
    edit_json(
        project / "index_templates/viewer_state.json",
        lambda b: b["template"]["mappings"]["properties"].update(muted_ids={"type": "keyword"}),
    )
    plan = make_plan(memory_client, load_artifacts(project))
    item = next(i for i in plan if (i.kind, i.name) == ("index", "viewer_state"))
    assert item.action == "reindex" and "viewer_state-v1 -> viewer_state-v2" in item.detail


def test_a_reindex_that_fails_leaves_the_old_index_serving_reads_and_writes(
    memory_client: OpenSearch, project: Path
) -> None:
    apply(memory_client, project)
    memory_client.index(
        index="viewer_state", id="m1", body={"member_id": "m1", "seen_ids": ["m2"]}, refresh=True
    )
    # the new mapping cannot hold the existing document: the copy must fail
    edit_json(
        project / "index_templates/viewer_state.json",
        lambda b: b["template"]["mappings"]["properties"].update(member_id={"type": "integer"}),
    )
    with pytest.raises(Exception):  # noqa: B017 - the copy's failure, whichever request raises it
        apply(memory_client, project)
    assert memory_client.indices.get_alias(name="viewer_state") == {
        "viewer_state-v1": {"aliases": {"viewer_state": {}}}
    }
    assert not memory_client.indices.exists(index="viewer_state-v2")
    memory_client.index(
        index="viewer_state", id="m3", body={"member_id": "m3"}
    )  # not write-blocked


def test_an_index_in_the_way_of_an_alias_is_an_error_before_anything_runs(
    memory_client: OpenSearch, project: Path
) -> None:
    memory_client.indices.create(index="profiles")
    plan = make_plan(memory_client, load_artifacts(project))
    assert next(i for i in plan if (i.kind, i.name) == ("index", "profiles")).action == "error"
    with pytest.raises(MutuoError, match="concrete index"):
        apply_plan(memory_client, plan, lambda _m: None)
    assert (
        memory_client.cluster.get_component_template(name="mutuo-base", ignore=404)["status"] == 404
    )


def test_apply_through_the_cli_prints_the_plan(tmp_path: Path, project: Path) -> None:
    url = f"embedded://{tmp_path / 'engine'}"
    result = CliRunner().invoke(
        cli, ["--opensearch-url", url, "apply", "--artifacts", str(project)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "+ create    index              profiles  (profiles-v1 behind alias profiles)"
        in result.output
    )
    assert result.output.strip().endswith("applied 12 change(s)")
    client = mutuo.connect(url)
    try:
        assert client.indices.exists_alias(name="mutuo-deadletter")
    finally:
        client.close()


def test_a_mapping_change_reindexes_behind_the_alias_keeping_versions(
    memory_client: OpenSearch, project: Path
) -> None:
    apply(memory_client, project)
    for i in range(1203):  # more than one page of the copy
        memory_client.index(
            index="viewer_state",
            id=f"m{i}",
            body={"member_id": f"m{i}", "seen_ids": [f"x{i}"]},
            version=10 + i,
            version_type="external",
        )
    memory_client.indices.refresh(index="viewer_state")
    edit_json(
        project / "index_templates/viewer_state.json",
        lambda b: b["template"]["mappings"]["properties"].update(muted_ids={"type": "keyword"}),
    )
    log = apply(memory_client, project)
    assert any("copied 1203 documents viewer_state-v1 -> viewer_state-v2" in line for line in log)
    assert list(memory_client.indices.get_alias(name="viewer_state")) == ["viewer_state-v2"]
    assert memory_client.get(index="viewer_state", id="m7")["_version"] == 17  # versions kept
    assert memory_client.count(index="viewer_state")["count"] == 1203
    memory_client.index(
        index="viewer_state", id="m1", body={"member_id": "m1", "muted_ids": ["m2"]}
    )  # the new field
    with pytest.raises(Exception, match="cluster_block_exception"):  # the old one is kept read-only
        memory_client.index(index="viewer_state-v1", id="m1", body={"member_id": "m1"})
    assert set(plan_of(memory_client, project).values()) == {"unchanged"}


def test_a_second_reindex_drops_the_version_before_the_previous_one(
    memory_client: OpenSearch, project: Path
) -> None:
    apply(memory_client, project)
    for field in ("muted_ids", "hidden_ids"):
        edit_json(
            project / "index_templates/viewer_state.json",
            lambda b, f=field: b["template"]["mappings"]["properties"].update(
                {f: {"type": "keyword"}}
            ),
        )
        apply(memory_client, project)
    assert list(memory_client.indices.get_alias(name="viewer_state")) == ["viewer_state-v3"]
    assert memory_client.indices.exists(index="viewer_state-v2")  # kept for a rollback
    assert not memory_client.indices.exists(index="viewer_state-v1")
