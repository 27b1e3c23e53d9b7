"""REST calls for the LTR plugin tests that report the status and body (errors included)."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch, TransportError


class Rest:
    """``(status, body)`` of REST calls through opensearch-py's transport (errors included)."""

    def __init__(self, client: OpenSearch) -> None:
        self.client = client

    def __call__(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        try:
            result = self.client.transport.perform_request(method, path, body=body, params=params)
        except TransportError as err:
            return int(err.status_code), err.info
        return (
            201 if isinstance(result, dict) and result.get("result") == "created" else 200
        ), result


def error_of(body: Any) -> dict[str, Any]:
    assert isinstance(body, dict) and "error" in body, body
    error: dict[str, Any] = body["error"]
    return error
