"""Search endpoints: ``_search``, ``_count`` and ``_explain``.

Searching through a filtered alias applies the alias ``filter`` to that index (several
filtered aliases of one index are OR-ed; naming the index itself, or an alias without a
filter, searches it unfiltered), as OpenSearch does.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from ..errors import ActionRequestValidationError, IllegalArgumentError, ParsingError
from ..explain import explain_document
from ..queries import Query, parse_query
from ..router import Request, Response, Router
from ..search import execute_count
from .search_pipelines import run_search

if TYPE_CHECKING:
    from ..engine import Engine
    from ..index import Index


def target_indices(engine: Engine, req: Request) -> list[Index]:
    return engine.resolve(
        req.path_params.get("index"),
        ignore_unavailable=req.flag("ignore_unavailable"),
        allow_no_indices=req.flag("allow_no_indices", True),
        expand_wildcards=req.params.get("expand_wildcards", "open"),
    )


def alias_filters(engine: Engine, expression: str | None) -> dict[str, Query]:
    """index name -> the filter its aliases in ``expression`` impose (if any)."""
    if not expression or expression in ("_all", "*"):
        return {}
    parts = [p.strip() for p in expression.split(",") if p.strip() and not p.startswith("-")]
    direct: set[str] = set()
    filtered: dict[str, list[Any]] = {}
    aliases = engine.alias_map()
    for part in parts:
        direct.update(
            n for n in engine.indices if n == part or ("*" in part and fnmatch.fnmatchcase(n, part))
        )
        for alias, targets in aliases.items():
            if alias != part and not ("*" in part and fnmatch.fnmatchcase(alias, part)):
                continue
            for index in targets:
                spec = index.aliases[alias].get("filter")
                if spec is None:
                    direct.add(index.name)
                else:
                    filtered.setdefault(index.name, []).append(spec)
    out: dict[str, Query] = {}
    for name, specs in filtered.items():
        if name in direct:
            continue
        body = specs[0] if len(specs) == 1 else {"bool": {"should": specs}}
        out[name] = parse_query(body, "filter")
    return out


def search_body(req: Request) -> dict[str, Any]:
    """The request body, refusing URL options the embedded engine does not implement."""
    body = req.json()
    if "scroll" in req.params and "collapse" in body:
        raise IllegalArgumentError("cannot use `collapse` in a scroll context")
    if "scroll" in req.params:
        raise IllegalArgumentError(
            "[scroll] is not supported by the embedded engine; use [search_after]"
        )
    if "q" in req.params:
        raise IllegalArgumentError(
            "the [q] query-string parameter is not supported by the embedded engine; send a query body"
        )
    check_search_type(req.params)
    return body


def check_search_type(params: dict[str, str], indices: list[Index] | None = None) -> None:
    """Refuse an unknown search type, and DFS over several indices (per-index statistics)."""
    search_type = params.get("search_type", "query_then_fetch")
    if search_type not in ("query_then_fetch", "dfs_query_then_fetch"):
        raise IllegalArgumentError(f"No search type for [{search_type}]")
    if search_type == "dfs_query_then_fetch" and indices is not None and len(indices) > 1:
        raise IllegalArgumentError(
            "[dfs_query_then_fetch] across several indices is not supported by the embedded "
            "engine (term statistics are per index); search one index or use query_then_fetch"
        )


def register(router: Router, engine: Engine) -> None:
    def search(req: Request) -> Response:
        body = search_body(req)
        indices = target_indices(engine, req)
        check_search_type(req.params, indices)
        expression = req.path_params.get("index")
        filters = alias_filters(engine, expression)
        result = run_search(
            engine, indices, body, req.params, expression, filters, verbatim_source=True
        )
        return Response(200, result)

    def count(req: Request) -> Response:
        indices = target_indices(engine, req)
        filters = alias_filters(engine, req.path_params.get("index"))
        return Response(200, execute_count(engine, indices, req.json(), req.params, filters))

    def explain(req: Request) -> Response:
        body = req.json()
        if "q" in req.params:
            raise IllegalArgumentError(
                "the [q] query-string parameter is not supported by the embedded engine; send a query body"
            )
        for key in body:
            if key != "query":
                raise ParsingError(f"request does not support [{key}]")
        if "query" not in body:
            raise ActionRequestValidationError("query is missing")
        status, payload = explain_document(
            engine, req.path_params["index"], req.path_params["id"], body, req.params
        )
        return Response(status, payload)

    router.add("GET,POST", "/_search", search)
    router.add("GET,POST", "/{index}/_search", search)
    router.add("GET,POST", "/_count", count)
    router.add("GET,POST", "/{index}/_count", count)
    router.add("GET,POST", "/{index}/_explain/{id}", explain)
