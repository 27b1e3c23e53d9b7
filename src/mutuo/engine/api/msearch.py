"""``_msearch``: several searches in one NDJSON request, each answering on its own.

Lines alternate between a header (``{"index": ..., ...}``, ``{}`` for the URL's index)
and a search body. Each item's failure is reported in place (``error`` and ``status``)
while the whole request succeeds, as OpenSearch does; every item carries its ``status``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import codec
from ..errors import IllegalArgumentError, OpenSearchError
from ..router import Request, Response, Router
from .search import alias_filters
from .search_pipelines import run_search

if TYPE_CHECKING:
    from ..engine import Engine

_HEADER_KEYS = {
    "index",
    "indices",
    "search_type",
    "preference",
    "routing",
    "request_cache",
    "ignore_unavailable",
    "ignore_throttled",
    "allow_no_indices",
    "expand_wildcards",
    "allow_partial_search_results",
    "ccs_minimize_roundtrips",
    "cancel_after_time_interval",
    "phase_took",
}
# URL parameters that apply to every item of the request.
_SHARED_PARAMS = ("rest_total_hits_as_int", "typed_keys")


def parse_items(data: bytes | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(header, body) pairs of an NDJSON msearch body."""
    lines = [line for line in codec.ndjson_lines(data) if line.strip()]
    if not lines:
        raise IllegalArgumentError("request body or source parameter is required")
    if len(lines) % 2:
        raise IllegalArgumentError("The msearch request must be terminated by a newline [\\n]")
    items = []
    for i in range(0, len(lines), 2):
        header, body = codec.loads(lines[i]), codec.loads(lines[i + 1])
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise IllegalArgumentError("msearch header and body lines must be JSON objects")
        for key in header:
            if key not in _HEADER_KEYS:
                raise IllegalArgumentError(f"key [{key}] is not supported in the metadata section")
        items.append((header, body))
    return items


def run_item(
    engine: Engine,
    header: dict[str, Any],
    body: dict[str, Any],
    default_index: str | None,
    params: dict[str, str],
) -> dict[str, Any]:
    expression = header.get("index", header.get("indices", default_index))
    if isinstance(expression, list):
        expression = ",".join(expression)
    try:
        indices = engine.resolve(
            expression,
            ignore_unavailable=_flag(header.get("ignore_unavailable", False)),
            allow_no_indices=_flag(header.get("allow_no_indices", True)),
            expand_wildcards=str(header.get("expand_wildcards", "open")),
        )
        item_params = {k: params[k] for k in _SHARED_PARAMS if k in params}
        result = run_search(  # with the item's search pipeline, as OpenSearch does
            engine,
            indices,
            body,
            item_params,
            expression,
            alias_filters(engine, expression),
            verbatim_source=True,
        )
        return {**result, "status": 200}
    except OpenSearchError as err:
        return {**err.body(), "status": err.status}


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def register(router: Router, engine: Engine) -> None:
    def msearch(req: Request) -> Response:
        started = time.perf_counter()
        items = parse_items(req.body)
        default_index = req.path_params.get("index")
        responses = [run_item(engine, h, b, default_index, req.params) for h, b in items]
        took = int((time.perf_counter() - started) * 1000)
        return Response(200, {"took": took, "responses": responses})

    router.add("GET,POST", "/_msearch", msearch)
    router.add("GET,POST", "/{index}/_msearch", msearch)
