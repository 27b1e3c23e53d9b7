"""The runner's building blocks: versions, equality, regexes, paths, request building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mutuo.cli.app import cli
from mutuo.engine.conformance.api_spec import ApiPath, ApiSpec, ParamError
from mutuo.engine.conformance.assertions import AssertionFailure, check_match, values_equal
from mutuo.engine.conformance.skip import in_range
from mutuo.engine.conformance.stash import Stash, evaluate, split_path, to_java_string


@pytest.mark.parametrize(
    ("ranges", "skipped"),
    [
        (" - 7.9.99", False),  # legacy Elasticsearch versions sort below OpenSearch
        ("6.7.0 - ", True),
        (" - 3.2.99", False),
        ("3.8.0 - 3.8.0", True),
        (" - 2.99.99, 3.5.0 - 3.9.0", True),
        ("all", True),
    ],
)
def test_version_ranges_compare_like_opensearch(ranges: str, skipped: bool) -> None:
    assert in_range("3.8.0", ranges) is skipped


def test_numbers_compare_as_doubles_but_never_as_booleans() -> None:
    assert values_equal(1, 1.0)
    assert values_equal({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not values_equal(True, 1)
    assert not values_equal("1", 1)
    assert not values_equal({"a": 1}, {"a": 1, "b": 2})
    assert values_equal(0.3, 0.30001, epsilon=0.001)


def test_match_regex_uses_find_with_verbose_flag() -> None:
    check_match("reason", "a [b] c", r"/ \[b\]   # the bracketed word /")
    with pytest.raises(AssertionFailure):
        check_match("reason", "abc", "/^b/")
    with pytest.raises(AssertionFailure):
        check_match("count", 3, "/3/")  # regexes only apply to strings


def test_paths_split_on_unescaped_dots() -> None:
    assert split_path(r"settings.index\.number_of_shards") == ["settings", "index.number_of_shards"]
    body = {"hits": {"hits": [{"_id": "a"}, {"_id": "b"}]}, "x.y": 1}
    assert evaluate(body, "hits.hits.1._id") == "b"
    assert evaluate(body, r"x\.y") == 1
    assert evaluate(body, "missing.deeper") is None
    assert evaluate(body, "") == body


def test_stash_resolves_whole_values_and_embedded_references() -> None:
    stash = Stash()
    stash.put("id", "abc")
    stash.put("body", {"took": 3})
    assert stash.substitute({"$id": ["$id", "x-${id}"], "n": "$body.took"}) == {
        "abc": ["abc", "x-abc"],
        "n": 3,
    }


def test_java_string_form_of_errors() -> None:
    error = {"root_cause": [{"type": "t", "reason": 'say "hi"'}], "ok": False, "n": None}
    assert to_java_string(error) == '{root_cause=[{type=t, reason=say "hi"}], ok=false, n=null}'


SPEC = ApiSpec(
    "indices.put_alias",
    (
        ApiPath("/{index}/_alias/{name}", ("PUT", "POST"), frozenset({"index", "name"}), False),
        ApiPath("/{index}/_alias", ("PUT",), frozenset({"index"}), False),
        ApiPath("/_alias/{name}", ("PUT", "POST"), frozenset({"name"}), False),
    ),
    frozenset({"timeout", "master_timeout"}),
    False,
)


def test_request_uses_the_path_with_most_provided_parts() -> None:
    request = SPEC.build({"index": ["a", "b"], "name": "x y", "timeout": 5, "body": {"z": 1}})
    assert (request.method, request.path) == ("PUT", "/a,b/_alias/x%20y")
    assert request.params == {"timeout": "5"}
    assert request.body == '{"z":1}'
    assert SPEC.build({"name": "x"}).path == "/_alias/x"
    with pytest.raises(ParamError):
        SPEC.build({"index": "a", "unknown": True})


def test_cli_json_and_regression_gate(tmp_path: Path) -> None:
    suite = tmp_path / "suite" / "rest-api-spec"
    (suite / "api").mkdir(parents=True)
    (suite / "test" / "demo").mkdir(parents=True)
    (suite / "api" / "indices.create.json").write_text(
        json.dumps(
            {"indices.create": {"url": {"paths": [{"path": "/{index}", "methods": ["PUT"]}]}}}
        )
    )
    (suite / "test" / "demo" / "10_x.yml").write_text(
        '"Good": [{do: {indices.create: {index: a}}}]\n---\n'
        '"Bad": [{do: {indices.create: {index: a}}}, {match: {acknowledged: false}}]\n'
    )
    runner = CliRunner()
    args = ["engine", "conformance", str(tmp_path / "suite")]
    result = runner.invoke(cli, [*args, "--json"])
    payload = json.loads(result.output)
    assert (payload["passed"], payload["failed"], payload["skipped"]) == (1, 1, 0)
    assert result.exit_code == 1  # a failure fails the run when there is no gate file
    expected = tmp_path / "expected.txt"
    assert runner.invoke(cli, [*args, "--silent", "--record-passes", str(expected)]).exit_code == 1
    assert expected.read_text().splitlines()[-1] == "demo/10_x.yml::Good"
    gate = runner.invoke(cli, [*args, "--silent", "--fail-on-regression", str(expected)])
    assert gate.exit_code == 0, gate.output
    expected.write_text(expected.read_text() + "demo/10_x.yml::Bad\n")
    gate = runner.invoke(cli, [*args, "--silent", "--fail-on-regression", str(expected)])
    assert gate.exit_code == 1
    assert "demo/10_x.yml::Bad" in gate.output
