"""Search endpoints: ``_search`` and ``_count``."""

from __future__ import annotations

from typing import TYPE_CHECKING

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


def register(router: Router, engine: Engine) -> None:
    def search(req: Request) -> Response:
        indices = target_indices(engine, req)
        expression = req.path_params.get("index")
        return Response(200, run_search(engine, indices, req.json(), req.params, expression))

    def count(req: Request) -> Response:
        return Response(
            200, execute_count(engine, target_indices(engine, req), req.json(), req.params)
        )

    router.add("GET,POST", "/_search", search)
    router.add("GET,POST", "/{index}/_search", search)
    router.add("GET,POST", "/_count", count)
    router.add("GET,POST", "/{index}/_count", count)
