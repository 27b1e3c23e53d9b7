"""The YAML runner judges correctly: it fails what should fail and passes what should pass.

Each test writes a small suite (API specs + one test file) to a temporary folder and runs
it against real in-memory engines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mutuo.engine.conformance import FAILED, PASSED, SKIPPED, SuiteReport, run_suite

SPECS = {
    "index": {
        "paths": [("/{index}/_doc/{id}", ["PUT", "POST"]), ("/{index}/_doc", ["POST"])],
        "params": ["refresh", "op_type", "version", "version_type"],
    },
    "get": {"paths": [("/{index}/_doc/{id}", ["GET"])], "params": ["_source"]},
    "count": {"paths": [("/_count", ["GET"]), ("/{index}/_count", ["GET"])], "params": []},
    "bulk": {
        "paths": [("/_bulk", ["POST"]), ("/{index}/_bulk", ["POST"])],
        "params": ["refresh"],
        "bulk": True,
    },
    "indices.create": {"paths": [("/{index}", ["PUT"])], "params": []},
    "indices.exists": {"paths": [("/{index}", ["HEAD"])], "params": []},
    "indices.get_mapping": {"paths": [("/{index}/_mapping", ["GET"])], "params": []},
}


def write_suite(root: Path, test_yaml: str) -> Path:
    api = root / "rest-api-spec" / "api"
    api.mkdir(parents=True)
    for name, spec in SPECS.items():
        body = {
            "url": {"paths": [{"path": p, "methods": m} for p, m in spec["paths"]]},
            "params": {p: {"type": "string"} for p in spec["params"]},
        }
        if spec.get("bulk"):
            body["body"] = {"required": True, "serialize": "bulk"}
        (api / f"{name}.json").write_text(json.dumps({name: body}))
    tests = root / "rest-api-spec" / "test" / "demo"
    tests.mkdir(parents=True)
    (tests / "10_demo.yml").write_text(test_yaml)
    return root


def run(tmp_path: Path, test_yaml: str) -> SuiteReport:
    return run_suite([write_suite(tmp_path, test_yaml)])


def only(report: SuiteReport) -> tuple[str, str]:
    assert len(report.results) == 1
    return report.results[0].status, report.results[0].reason


def test_index_get_and_match_pass(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Index then get":
  - do:
      index: {index: people, id: "1", body: {name: ann, age: 31}}
  - match: {result: created}
  - match: {_version: 1}
  - do:
      get: {index: people, id: "1"}
  - match: {_source: {name: ann, age: 31}}
  - match: {_source.age: 31.0}
  - match: {_id: /^\\d$/}
  - length: {_source: 2}
  - is_true: found
  - is_false: missing_field
""",
    )
    assert only(report) == (PASSED, "")
    assert report.results[0].file == "demo/10_demo.yml"


def test_a_wrong_value_fails_naming_the_field(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Wrong version":
  - do:
      index: {index: people, id: "1", body: {name: ann}}
  - match: {_version: 2}
""",
    )
    status, reason = only(report)
    assert status == FAILED
    assert "field [_version]" in reason and "expected [2]" in reason


def test_booleans_never_equal_numbers(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Boolean vs number":
  - do:
      index: {index: people, id: "1", body: {flag: true}}
  - do:
      get: {index: people, id: "1"}
  - match: {_source.flag: 1}
""",
    )
    assert only(report)[0] == FAILED


def test_catch_accepts_the_expected_status_and_rejects_success(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Missing doc":
  - do:
      catch: missing
      get: {index: people, id: "1"}
  - match: {error.type: index_not_found_exception}
---
"Regex on the error":
  - do:
      catch: /no\\ssuch\\sindex\\s\\[people\\]/
      get: {index: people, id: "1"}
---
"Catch on a success":
  - do:
      catch: conflict
      index: {index: people, id: "1", body: {a: 1}}
---
"Error without catch":
  - do:
      get: {index: people, id: "1"}
""",
    )
    statuses = {r.name: (r.status, r.reason) for r in report.results}
    assert statuses["Missing doc"] == (PASSED, "")
    assert statuses["Regex on the error"] == (PASSED, "")
    assert statuses["Catch on a success"][0] == FAILED
    assert "succeeded" in statuses["Catch on a success"][1]
    assert statuses["Error without catch"][0] == FAILED
    assert "404" in statuses["Error without catch"][1]


def test_ignore_makes_a_status_acceptable(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Ignored 404":
  - do:
      get: {index: people, id: "1", ignore: 404}
  - match: {status: 404}
""",
    )
    assert only(report) == (PASSED, "")


def test_stash_substitutes_paths_bodies_and_strings(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Stash":
  - do:
      index: {index: people, body: {name: ann}}
  - set: {_id: doc_id}
  - do:
      index: {index: people, id: "${doc_id}-copy", body: {original: $doc_id}}
  - match: {_id: "${doc_id}-copy"}
  - do:
      get: {index: people, id: $doc_id}
  - match: {_id: $doc_id}
  - do:
      get: {index: people, id: "${doc_id}-copy"}
  - match: {_source.original: $doc_id}
""",
    )
    assert only(report) == (PASSED, "")


def test_setup_stash_is_cleared_and_teardown_runs_after_a_failure(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
setup:
  - do:
      index: {index: people, id: "1", body: {a: 1}, refresh: true}
  - set: {_id: from_setup}
---
"Stash from setup is gone":
  - do:
      get: {index: people, id: $from_setup}
---
"Failing then teardown":
  - match: {x: 1}
---
teardown:
  - do:
      count: {index: missing_index}
""",
    )
    statuses = {r.name: r for r in report.results}
    assert statuses["Stash from setup is gone"].status == FAILED
    assert "stashed value not found" in statuses["Stash from setup is gone"].reason
    failing = statuses["Failing then teardown"]
    assert failing.status == FAILED and "field [x]" in failing.reason


def test_failing_teardown_fails_the_section(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Fine":
  - do:
      index: {index: people, id: "1", body: {a: 1}}
---
teardown:
  - do:
      count: {index: missing_index}
""",
    )
    status, reason = only(report)
    assert status == FAILED and reason.startswith("teardown")


def test_each_section_gets_a_fresh_engine(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"First":
  - do:
      index: {index: people, id: "1", body: {a: 1}, refresh: true}
  - do:
      count: {index: people}
  - match: {count: 1}
---
"Second":
  - do:
      catch: missing
      count: {index: people}
""",
    )
    assert [r.status for r in report.results] == [PASSED, PASSED]


def test_skips_by_version_and_feature_carry_reasons(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Old versions only":
  - skip: {version: "3.0.0 - ", reason: "changed in 3.0"}
  - match: {never: checked}
---
"Legacy range does not cover OpenSearch 3":
  - skip: {version: " - 7.9.99", reason: "added in 7.10"}
  - do:
      index: {index: people, id: "1", body: {a: 1}}
---
"Unsupported runner feature":
  - skip: {features: [yaml, headers]}
  - match: {never: checked}
---
"Always":
  - skip: {version: all, reason: awaits fix}
""",
    )
    statuses = {r.name: r for r in report.results}
    assert statuses["Old versions only"].status == SKIPPED
    assert "3.0.0 -" in statuses["Old versions only"].reason
    assert statuses["Legacy range does not cover OpenSearch 3"].status == PASSED
    assert statuses["Unsupported runner feature"].status == SKIPPED
    assert "[yaml]" in statuses["Unsupported runner feature"].reason
    assert statuses["Always"].status == SKIPPED


def test_skip_in_setup_skips_the_whole_file(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
setup:
  - skip: {features: node_selector}
---
"A": [{match: {a: 1}}]
---
"B": [{match: {b: 1}}]
""",
    )
    assert [r.status for r in report.results] == [SKIPPED, SKIPPED]
    assert all("node_selector" in r.reason for r in report.results)


def test_unknown_api_is_skipped_naming_it(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Needs cluster state":
  - do:
      cluster.state: {}
""",
    )
    status, reason = only(report)
    assert status == SKIPPED and "cluster.state" in reason


def test_unknown_parameter_fails_unless_catch_param(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Typo":
  - do:
      get: {index: people, id: "1", refrsh: true}
---
"Expected param error":
  - do:
      catch: param
      get: {index: people, id: "1", refrsh: true}
""",
    )
    statuses = {r.name: r for r in report.results}
    assert statuses["Typo"].status == FAILED
    assert "path/param [refrsh] not supported by [get] api" in statuses["Typo"].reason
    assert statuses["Expected param error"].status == PASSED


def test_head_requests_answer_true_or_false(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Exists":
  - do:
      indices.exists: {index: people}
  - is_false: ''
  - do:
      indices.create: {index: people}
  - do:
      indices.exists: {index: people}
  - is_true: ''
""",
    )
    assert only(report) == (PASSED, "")


@pytest.mark.parametrize(
    "body",
    [
        "- {index: {_index: people, _id: '1'}}\n          - {a: 1}",
        '- \'{"index": {"_index": "people", "_id": "1"}}\'\n          - \'{"a": 1}\'',
        '|\n          {"index": {"_index": "people", "_id": "1"}}\n          {"a": 1}',
    ],
    ids=["list-of-maps", "list-of-strings", "ndjson-string"],
)
def test_bulk_bodies_are_sent_as_ndjson(tmp_path: Path, body: str) -> None:
    report = run(
        tmp_path,
        f"""
"Bulk":
  - do:
      bulk:
        refresh: true
        body:
          {body}
  - match: {{errors: false}}
  - do:
      count: {{index: people}}
  - match: {{count: 1}}
""",
    )
    assert only(report) == (PASSED, "")


def test_include_and_exclude_select_sections(tmp_path: Path) -> None:
    root = write_suite(
        tmp_path,
        """
"Alpha": [{do: {indices.create: {index: a}}}]
---
"Beta": [{do: {indices.create: {index: b}}}]
""",
    )
    assert [r.name for r in run_suite([root], include=["*::Alpha"]).results] == ["Alpha"]
    assert [r.name for r in run_suite([root], exclude=["demo/*"]).results] == []
    assert len(run_suite([root], include=["demo/*"]).results) == 2


def test_a_malformed_skip_fails_instead_of_hiding_the_section(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Version without reason":
  - skip: {version: " - 1.0.0"}
  - match: {a: 1}
""",
    )
    status, reason = only(report)
    assert status == FAILED and "needs a [reason]" in reason


def test_expected_warnings_must_come_back_and_allowed_ones_may_not(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        """
"Expected warning":
  - do:
      warnings: ["[x] is deprecated"]
      indices.create: {index: a}
---
"Allowed warning":
  - do:
      allowed_warnings: ["[x] is deprecated"]
      indices.create: {index: a}
""",
    )
    statuses = {r.name: r for r in report.results}
    assert statuses["Expected warning"].status == FAILED
    assert "expected warnings did not come back" in statuses["Expected warning"].reason
    assert statuses["Allowed warning"].status == PASSED
