"""Stored scripts and search templates: ``_scripts``, ``_render/template``,
``_search/template`` and ``_msearch/template``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import templates
from ..codec import loads, ndjson_lines
from ..errors import IllegalArgumentError, OpenSearchError
from ..router import Request, Response, Router
from .search import alias_filters
from .search_pipelines import run_search

if TYPE_CHECKING:
    from ..engine import Engine

# msearch header keys; routing/preference/request_cache change nothing on one shard
_HEADER_KEYS = {
    "index",
    "indices",
    "search_type",
    "preference",
    "routing",
    "request_cache",
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "ccs_minimize_roundtrips",
    "search_pipeline",
}


def _template_search(
    engine: Engine, request: dict[str, Any], params: dict[str, str], expression: str | None
) -> dict[str, Any]:
    indices = engine.resolve(  # before rendering: a missing index fails first
        expression,
        ignore_unavailable=params.get("ignore_unavailable") in ("", "true"),
        allow_no_indices=params.get("allow_no_indices", "true") != "false",
        expand_wildcards=params.get("expand_wildcards", "open"),
    )
    body = templates.search_body(engine, request)
    filters = alias_filters(engine, expression)
    return run_search(engine, indices, body, params, expression, filters, verbatim_source=True)


def _msearch_items(data: bytes | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    if not data or not data.endswith(b"\n"):
        raise IllegalArgumentError("The msearch request must be terminated by a newline [\n]")
    lines = [line for line in ndjson_lines(data) if line.strip()]
    if len(lines) % 2:
        raise IllegalArgumentError("msearch template request: every header line needs a body line")
    items = []
    for header_raw, body_raw in zip(lines[::2], lines[1::2], strict=True):
        header, body = loads(header_raw), loads(body_raw)
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise IllegalArgumentError("msearch template lines must be JSON objects")
        for key in header:
            if key not in _HEADER_KEYS:
                raise IllegalArgumentError(f"key [{key}] is not supported in the metadata section")
        if header.get("search_type", "query_then_fetch") != "query_then_fetch":
            raise IllegalArgumentError(
                f"search_type [{header['search_type']}] is not supported by the embedded engine"
            )
        items.append((header, body))
    return items


def _header_params(header: dict[str, Any], params: dict[str, str]) -> dict[str, str]:
    out = dict(params)
    for key in ("ignore_unavailable", "allow_no_indices", "expand_wildcards", "search_pipeline"):
        if key in header:
            value = header[key]
            out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _header_expression(header: dict[str, Any], default: str | None) -> str | None:
    index = header.get("index", header.get("indices"))
    if index is None:
        return default
    return ",".join(index) if isinstance(index, list) else str(index)


def register(router: Router, engine: Engine) -> None:
    def put_script(req: Request) -> Response:
        templates.put_script(engine, req.path_params["id"], req.json())
        return Response(200, {"acknowledged": True})

    def get_script(req: Request) -> Response:
        script_id = req.path_params["id"]
        script = templates.get_script(engine, script_id)
        if script is None:
            return Response(404, {"_id": script_id, "found": False})
        return Response(200, {"_id": script_id, "found": True, "script": script})

    def delete_script(req: Request) -> Response:
        templates.delete_script(engine, req.path_params["id"])
        return Response(200, {"acknowledged": True})

    def render(req: Request) -> Response:
        body = templates.render_request(engine, req.json(), req.path_params.get("id"))
        return Response(200, {"template_output": body})

    def search_template(req: Request) -> Response:
        expression = req.path_params.get("index")
        return Response(200, _template_search(engine, req.json(), req.params, expression))

    def msearch_template(req: Request) -> Response:
        started = time.perf_counter()
        responses: list[dict[str, Any]] = []
        for header, body in _msearch_items(req.body):
            expression = _header_expression(header, req.path_params.get("index"))
            try:
                result = _template_search(
                    engine, body, _header_params(header, req.params), expression
                )
                responses.append({**result, "status": 200})
            except OpenSearchError as err:
                responses.append({"error": err.to_dict(with_root_cause=True), "status": err.status})
        took = int((time.perf_counter() - started) * 1000)
        return Response(200, {"took": took, "responses": responses})

    router.add("PUT,POST", "/_scripts/{id}", put_script)
    router.add("GET", "/_scripts/{id}", get_script)
    router.add("DELETE", "/_scripts/{id}", delete_script)
    router.add("GET,POST", "/_render/template", render)
    router.add("GET,POST", "/_render/template/{id}", render)
    router.add("GET,POST", "/_search/template", search_template)
    router.add("GET,POST", "/{index}/_search/template", search_template)
    router.add("GET,POST", "/_msearch/template", msearch_template)
    router.add("GET,POST", "/{index}/_msearch/template", msearch_template)
