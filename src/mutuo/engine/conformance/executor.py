"""Running the steps of one test section against an opensearch-py client.

``do`` builds the request from the API spec and sends it through
``client.transport.perform_request`` (the same code path as any application), checks the
status against ``catch`` and the ``Warning`` headers against ``warnings`` /
``allowed_warnings``; the response then becomes what assertions and ``set`` look at.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import OpenSearchWarning, TransportError

from .api_spec import ApiSpec, HttpRequest, ParamError
from .assertions import CHECKS, AssertionFailure, is_regex
from .stash import Stash, StashError, evaluate, to_java_string
from .suite import Step, SuiteFormatError

CATCH_STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "missing": 404,
    "request_timeout": 408,
    "conflict": 409,
    "unavailable": 503,
}
_DO_KEYS = {
    "catch",
    "warnings",
    "allowed_warnings",
    "warnings_regex",
    "allowed_warnings_regex",
    "headers",
    "node_selector",
}


@dataclass
class Outcome:
    """What came back: ``status`` is ``None`` for a success (the client hides 2xx codes)."""

    status: int | None
    body: Any
    warnings: list[str]

    @property
    def failed(self) -> bool:
        return self.status is not None and self.status >= 400


def api_names(steps: list[Step]) -> list[str]:
    """The APIs the ``do`` steps of a step list call."""
    names: list[str] = []
    for step in steps:
        spec = step.get("do")
        if isinstance(spec, dict):
            names.extend(k for k in spec if k not in _DO_KEYS)
    return names


class StepRunner:
    def __init__(self, client: OpenSearch, specs: dict[str, ApiSpec]) -> None:
        self.client = client
        self.specs = specs
        self.stash = Stash()
        self.response: Outcome | None = None

    def reset(self) -> None:
        """Between setup and the test: nothing stashed in setup is visible."""
        self.stash.clear()
        self.response = None

    def run(self, steps: list[Step], phase: str) -> None:
        for number, step in enumerate(steps, 1):
            if len(step) != 1:
                raise SuiteFormatError(f"{phase} step {number} must have exactly one key")
            ((kind, arg),) = step.items()
            try:
                self._run_step(kind, arg, number)
            except (AssertionFailure, StashError) as failure:
                raise AssertionFailure(f"{phase} step {number} ({kind}): {failure}") from None

    def _run_step(self, kind: str, arg: Any, number: int) -> None:
        if kind == "skip":
            if number != 1:
                raise SuiteFormatError("[skip] must be the first step of a section")
            return  # evaluated before the section ran
        if kind == "do":
            self.do(arg)
        elif kind == "set":
            for path, name in arg.items():
                self.stash.put(str(name), self.actual(str(path)))
        elif kind in ("is_true", "is_false"):
            path = "" if arg is None else str(arg)
            CHECKS[kind](path, self.actual(path), None)
        elif kind in CHECKS:
            self._assert(kind, dict(arg))
        else:
            raise AssertionFailure(f"step [{kind}] is not supported by this runner")

    def _assert(self, kind: str, arg: dict[str, Any]) -> None:
        epsilon = arg.pop("epsilon", None) if kind == "match" else None
        for path, expected in arg.items():
            path = str(path)
            actual = self.actual(path)
            expected = self.stash.substitute(expected)
            if kind == "match":
                CHECKS[kind](path, actual, expected, epsilon)  # type: ignore[call-arg]
            else:
                CHECKS[kind](path, actual, expected)

    def actual(self, path: str) -> Any:
        """The value an assertion looks at: a stash reference or a path into the response."""
        if path.startswith("$") and "." not in path:
            return self.stash.resolve(path)
        if self.response is None:
            return None
        return evaluate(self.response.body, path, self.stash)

    # -- do ----------------------------------------------------------------------------

    def do(self, spec: dict[str, Any]) -> None:
        spec = dict(spec)
        options = {key: spec.pop(key) for key in list(spec) if key in _DO_KEYS}
        if "node_selector" in options:
            raise AssertionFailure("[node_selector] is not supported by this runner")
        if len(spec) != 1:
            raise SuiteFormatError(f"a [do] step must call exactly one api, found {list(spec)}")
        ((api, args),) = spec.items()
        headers = self.stash.substitute(options.get("headers") or {})
        catch = options.get("catch")
        try:
            request = self.specs[api].build(self.stash.substitute(args or {}), headers)
        except ParamError as exc:
            if catch == "param":
                return
            raise AssertionFailure(str(exc)) from None
        if catch == "param":
            raise AssertionFailure(f"expected a parameter error, but [{api}] was valid")
        outcome = self._send(request)
        self.response = outcome
        self.stash.put("body", outcome.body)
        _check_catch(api, catch, outcome)
        _check_warnings(options, outcome.warnings)

    def _send(self, request: HttpRequest) -> Outcome:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                data = self.client.transport.perform_request(
                    request.method,
                    request.path,
                    params=request.params or None,
                    body=request.body,
                    headers=request.headers or None,
                    ignore=request.ignore,
                )
                status = None
            except TransportError as err:
                if not isinstance(err.status_code, int):
                    raise
                data = err.info if err.info is not None else err.error
                status = err.status_code
        messages = [str(w.message) for w in caught if issubclass(w.category, OpenSearchWarning)]
        return Outcome(status, data, messages)


def _check_catch(api: str, catch: Any, outcome: Outcome) -> None:
    if catch is None:
        if outcome.failed:
            raise AssertionFailure(
                f"[{api}] failed with status {outcome.status}: {to_java_string(outcome.body)}"
            )
        return
    if not outcome.failed:
        raise AssertionFailure(
            f"expected [{catch}] but [{api}] succeeded: {to_java_string(outcome.body)[:300]}"
        )
    status = outcome.status
    assert status is not None
    if catch in CATCH_STATUS:
        if status != CATCH_STATUS[catch]:
            raise AssertionFailure(
                f"expected status {CATCH_STATUS[catch]} ({catch}) but got {status}: "
                f"{to_java_string(outcome.body)[:300]}"
            )
    elif catch == "request":
        if status in (400, 401, 403, 404, 408, 409):
            raise AssertionFailure(f"expected a generic request error but got status {status}")
    elif is_regex(catch):
        error = outcome.body.get("error") if isinstance(outcome.body, dict) else None
        if error is None:
            raise AssertionFailure(f"expected an [error] in the response to match {catch}")
        text = to_java_string(error)
        if re.search(catch.strip()[1:-1], text) is None:
            raise AssertionFailure(f"error [{text[:500]}] does not match {catch}")
    else:
        raise SuiteFormatError(f"unknown catch [{catch}]")


def _check_warnings(options: dict[str, Any], actual: list[str]) -> None:
    expected = list(options.get("warnings") or [])
    allowed = list(options.get("allowed_warnings") or [])
    expected_re = [re.compile(p) for p in options.get("warnings_regex") or []]
    allowed_re = [re.compile(p) for p in options.get("allowed_warnings_regex") or []]
    unexpected = [
        w
        for w in actual
        if not w.startswith("[types removal]")
        and w not in expected
        and w not in allowed
        and not any(p.search(w) for p in (*expected_re, *allowed_re))
    ]
    missing = [w for w in expected if w not in actual]
    missing += [p.pattern for p in expected_re if not any(p.search(w) for w in actual)]
    if unexpected:
        raise AssertionFailure(f"unexpected warnings: {unexpected}")
    if missing:
        raise AssertionFailure(f"expected warnings did not come back: {missing}")
