"""A runner for OpenSearch's REST YAML conformance tests against the embedded engine.

It reads the upstream test files and API specs as data, builds every request from the
spec, sends it through opensearch-py, and reports each test section as passed, failed or
skipped (with the reason). See ``mutuo engine conformance --help``.
"""

from .report import FAILED, PASSED, SKIPPED, SuiteReport, TestResult, read_expected, write_expected
from .runner import embedded_client, run_suite

__all__ = [
    "FAILED",
    "PASSED",
    "SKIPPED",
    "SuiteReport",
    "TestResult",
    "embedded_client",
    "read_expected",
    "run_suite",
    "write_expected",
]
