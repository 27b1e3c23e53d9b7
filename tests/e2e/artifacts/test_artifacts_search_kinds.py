"""Search templates, search pipelines and LTR feature sets as artifacts: validated against
the engine and each other, installed idempotently by ``mutuo apply``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan, validate

ROOT = Path(__file__).resolve().parents[3]

TEMPLATE = '{"query": {"match": {"bio": "{{text}}"}}, "size": {{size}}}'
SLTR = '{"query": {"sltr": {"featureset": "people", "params": {"text": "{{text}}"}}}}'
PIPELINE = {
    "description": "hybrid scores, min-max normalised",
    "phase_results_processors": [
        {
            "normalization-processor": {
                "normalization": {"technique": "min_max"},
                "combination": {
                    "technique": "arithmetic_mean",
                    "parameters": {"weights": [0.4, 0.6]},
                },
            }
        }
    ],
}
FEATURESET = {
    "featureset": {
        "features": [
            {
                "name": "bio_match",
                "params": ["text"],
                "template_language": "mustache",
                "template": {"match": {"bio": "{{text}}"}},
            }
        ]
    }
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("index_templates", "sync"):
        shutil.copytree(ROOT / folder, root / folder)
    (root / "scripts" / "pipelines").mkdir(parents=True)
    (root / "ltr_models" / "featuresets").mkdir(parents=True)
    (root / "scripts" / "people-search.mustache").write_text(TEMPLATE)
    (root / "scripts" / "people-features.mustache").write_text(SLTR)
    (root / "scripts" / "pipelines" / "hybrid.json").write_text(json.dumps(PIPELINE))
    (root / "ltr_models" / "featuresets" / "people.json").write_text(json.dumps(FEATURESET))
    return root


def plan_of(client: OpenSearch, root: Path) -> dict[tuple[str, str], str]:
    return {(i.kind, i.name): i.action for i in make_plan(client, load_artifacts(root))}


def test_apply_installs_templates_pipelines_and_feature_sets_once(
    memory_client: OpenSearch, project: Path
) -> None:
    plan = plan_of(memory_client, project)
    assert plan[("search_template", "people-search")] == "create"
    assert plan[("search_pipeline", "hybrid")] == "create"
    assert plan[("ltr_featureset", "people")] == "create"
    apply_plan(memory_client, make_plan(memory_client, load_artifacts(project)), lambda _m: None)
    assert set(plan_of(memory_client, project).values()) == {"unchanged"}
    rendered = memory_client.render_search_template(
        body={"id": "people-search", "params": {"text": "jazz", "size": 3}}
    )
    assert rendered["template_output"] == {"query": {"match": {"bio": "jazz"}}, "size": 3}
    stored = memory_client.transport.perform_request("GET", "/_ltr/_featureset/people")
    assert stored["_source"]["featureset"]["features"][0]["name"] == "bio_match"
    assert (
        memory_client.transport.perform_request("GET", "/_search/pipeline/hybrid")["hybrid"]
        == PIPELINE
    )


def test_a_changed_file_is_an_update(memory_client: OpenSearch, project: Path) -> None:
    apply_plan(memory_client, make_plan(memory_client, load_artifacts(project)), lambda _m: None)
    (project / "scripts" / "people-search.mustache").write_text(TEMPLATE.replace("bio", "headline"))
    pipeline_2 = {**PIPELINE, "description": "renamed"}
    (project / "scripts" / "pipelines" / "hybrid.json").write_text(json.dumps(pipeline_2))
    plan = plan_of(memory_client, project)
    assert plan[("search_template", "people-search")] == "update"
    assert plan[("search_pipeline", "hybrid")] == "update"
    assert plan[("ltr_featureset", "people")] == "unchanged"
    apply_plan(memory_client, make_plan(memory_client, load_artifacts(project)), lambda _m: None)
    assert memory_client.get_script(id="people-search")["script"]["source"] == TEMPLATE.replace(
        "bio", "headline"
    )


def test_broken_templates_and_pipelines_are_reported_by_file(project: Path) -> None:
    (project / "scripts" / "broken.mustache").write_text('{"query": {{#a}} }')
    (project / "scripts" / "pipelines" / "bad.json").write_text(
        json.dumps({"request_processors": [{"no_such_processor": {}}]})
    )
    found = {(p.path, p.message.split(":")[0]) for p in validate(load_artifacts(project))}
    assert found == {
        ("scripts/broken.mustache", "refused by the engine"),
        ("scripts/pipelines/bad.json", "refused by the engine"),
    }


def test_cross_references_must_resolve(project: Path) -> None:
    (project / "ltr_models" / "featuresets" / "people.json").unlink()
    profiles = project / "index_templates" / "profiles.json"
    body = json.loads(profiles.read_text())
    body["template"]["settings"]["index"]["search.default_pipeline"] = "nope"
    profiles.write_text(json.dumps(body))
    problems = {(p.path, p.pointer, p.message) for p in validate(load_artifacts(project))}
    assert (
        "scripts/people-features.mustache",
        "",
        "feature set 'people' is not defined in ltr_models/featuresets/",
    ) in problems
    assert (
        "index_templates/profiles.json",
        "/template/settings",
        "default search pipeline 'nope' is not defined in scripts/pipelines/",
    ) in problems
