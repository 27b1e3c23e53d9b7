"""``_msearch`` and the NDJSON body it shares with ``_msearch/template``.

Lines alternate between a header (``{"index": ..., ...}``; ``{}`` or an empty line for the
URL's index) and a body. Both endpoints read the body with one parser, as OpenSearch does
(``MultiSearchRequest.readMultiLineFormat``): header keys and their camelCase aliases,
index options that default to the URL's, a body that must end with a newline, and a
trailing header without a body that is dropped. Each item's failure is reported in place
(``error`` and ``status``) while the whole request succeeds; every item carries its
``status``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import codec
from ..errors import ActionRequestValidationError, IllegalArgumentError, OpenSearchError
from ..router import Request, Response, Router
from .search import alias_filters, check_search_type
from .search_pipelines import run_search

if TYPE_CHECKING:
    from ..engine import Engine
    from ..index import Index

# header key (with OpenSearch's camelCase aliases) -> the URL parameter it stands for;
# routing, preference, request_cache and the others change nothing on one shard
_HEADER_KEYS = {
    "index": "index",
    "indices": "index",
    "search_type": "search_type",
    "searchType": "search_type",
    "ccs_minimize_roundtrips": "ccs_minimize_roundtrips",
    "ccsMinimizeRoundtrips": "ccs_minimize_roundtrips",
    "request_cache": "request_cache",
    "requestCache": "request_cache",
    "preference": "preference",
    "routing": "routing",
    "allow_partial_search_results": "allow_partial_search_results",
    "expand_wildcards": "expand_wildcards",
    "expandWildcards": "expand_wildcards",
    "ignore_unavailable": "ignore_unavailable",
    "ignoreUnavailable": "ignore_unavailable",
    "allow_no_indices": "allow_no_indices",
    "allowNoIndices": "allow_no_indices",
    "ignore_throttled": "ignore_throttled",
    "ignoreThrottled": "ignore_throttled",
    "cancel_after_time_interval": "cancel_after_time_interval",
    "cancelAfterTimeInterval": "cancel_after_time_interval",
    "phase_took": "phase_took",
}
# URL parameters every item inherits unless its header says otherwise.
_INHERITED_PARAMS = (
    "rest_total_hits_as_int",
    "typed_keys",
    "search_type",
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
)


@dataclass(frozen=True)
class Item:
    """One search of an msearch body.

    ``params`` are URL-style options (the URL's overlaid with the header's), so an item
    runs through the same code as a single ``_search`` with those parameters.
    """

    expression: str | None
    params: dict[str, str]
    body: dict[str, Any]

    def indices(self, engine: Engine) -> list[Index]:
        """The indices the item searches, resolved with its own index options."""
        indices = engine.resolve(
            self.expression,
            ignore_unavailable=self.params.get("ignore_unavailable") in ("", "true"),
            allow_no_indices=self.params.get("allow_no_indices", "true") != "false",
            expand_wildcards=self.params.get("expand_wildcards", "open"),
        )
        check_search_type(self.params, indices)
        return indices


def parse_items(
    data: bytes | None, url_params: dict[str, str], default_index: str | None
) -> list[Item]:
    """The items of an NDJSON msearch body, checked before any of them runs."""
    if not data:
        raise IllegalArgumentError("request body or source parameter is required")
    inherited = {k: url_params[k] for k in _INHERITED_PARAMS if k in url_params}
    items = []
    start = 1 if data.startswith(b"\n") else 0  # OpenSearch skips an empty first line
    while (end := _line_end(data, start)) != -1:
        header = _json_object(data[start:end], "header") if end > start else {}
        start = end + 1
        if (end := _line_end(data, start)) == -1:
            break  # a header without a body is dropped, as OpenSearch does
        body = _json_object(data[start:end], "body")
        start = end + 1
        items.append(_item(header, body, inherited, default_index))
    if not items:
        raise ActionRequestValidationError("no requests added")
    return items


def _line_end(data: bytes, start: int) -> int:
    end = data.find(b"\n", start)
    if end == -1 and start != len(data):
        raise IllegalArgumentError("The msearch request must be terminated by a newline [\\n]")
    return end


def _json_object(line: bytes, part: str) -> dict[str, Any]:
    value = codec.loads(line)
    if not isinstance(value, dict):
        raise IllegalArgumentError(f"msearch {part} lines must be JSON objects")
    return value


def _item(
    header: dict[str, Any],
    body: dict[str, Any],
    inherited: dict[str, str],
    default_index: str | None,
) -> Item:
    params = dict(inherited)
    expression = default_index
    for key, value in header.items():
        name = _HEADER_KEYS.get(key)
        if name is None:
            raise IllegalArgumentError(f"key [{key}] is not supported in the metadata section")
        if name == "index":
            expression = _text(value)
        else:
            params[name] = _text(value)
    check_search_type(params)
    return Item(expression, params, body)


def _text(value: Any) -> str:
    """A header value as the URL parameter it replaces (lists comma-joined)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def respond(items: list[Item], run: Callable[[Item], dict[str, Any]]) -> Response:
    """Each item's result (or its error) in place, with its status and the total time."""
    started = time.perf_counter()
    responses = []
    for item in items:
        try:
            responses.append({**run(item), "status": 200})
        except OpenSearchError as err:
            responses.append(err.body())
    took = int((time.perf_counter() - started) * 1000)
    return Response(200, {"took": took, "responses": responses})


def register(router: Router, engine: Engine) -> None:
    def search(item: Item) -> dict[str, Any]:
        return run_search(  # with the item's search pipeline, as OpenSearch does
            engine,
            item.indices(engine),
            item.body,
            item.params,
            item.expression,
            alias_filters(engine, item.expression),
            verbatim_source=True,
        )

    def msearch(req: Request) -> Response:
        items = parse_items(req.body, req.params, req.path_params.get("index"))
        return respond(items, search)

    router.add("GET,POST", "/_msearch", msearch)
    router.add("GET,POST", "/{index}/_msearch", msearch)
