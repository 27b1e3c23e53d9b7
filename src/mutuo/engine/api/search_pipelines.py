"""``_search/pipeline`` CRUD, and searches that run through a pipeline.

Every ``_search`` (and ``_search/template``) goes through :func:`run_search`: it resolves
the request's pipeline, applies its request processors to the body, and hands the
resolved pipeline to the executor under the ``search_pipeline`` body key, where the
hybrid feature (:mod:`..features.hybrid`) picks up its phase results processor.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from .. import pipelines
from ..errors import ResourceNotFoundError
from ..router import Request, Response, Router
from ..search import execute_search

if TYPE_CHECKING:
    from ..engine import Engine
    from ..index import Index
    from ..queries import Query


def run_search(
    engine: Engine,
    indices: list[Index],
    body: dict[str, Any],
    params: dict[str, str],
    expression: str | None,
    alias_filters: dict[str, Query] | None = None,
    verbatim_source: bool = False,
) -> dict[str, Any]:
    """``_search`` with search pipeline selection (see :mod:`..pipelines`)."""
    pipeline = pipelines.resolve(engine, expression, body, params)
    body = {k: v for k, v in body.items() if k != "search_pipeline"}
    if pipeline is not None:
        body = pipeline.transform_request(body)
    body["search_pipeline"] = pipelines.ResolvedPipeline(pipeline)
    return execute_search(engine, indices, body, params, alias_filters, verbatim_source)


def _matching(engine: Engine, expression: str | None) -> dict[str, Any]:
    defined = pipelines.stored(engine)
    if not expression:
        return defined
    wanted = [part.strip() for part in expression.split(",") if part.strip()]
    return {
        pid: definition
        for pid, definition in sorted(defined.items())
        if any(fnmatch.fnmatchcase(pid, pattern) for pattern in wanted)
    }


def register(router: Router, engine: Engine) -> None:
    def put(req: Request) -> Response:
        pipeline_id = req.path_params["id"]
        definition = req.json()
        pipelines.parse_pipeline(pipeline_id, definition)
        with engine.store.transaction() as tx:
            tx.put_meta(pipelines.KIND, pipeline_id, definition)
        pipelines.forget(engine, pipeline_id)
        return Response(200, {"acknowledged": True})

    def get(req: Request) -> Response:
        found = _matching(engine, req.path_params.get("id"))
        if not found and req.path_params.get("id"):
            return Response(404, {})
        return Response(200, found)

    def delete(req: Request) -> Response:
        expression = req.path_params["id"]
        found = _matching(engine, expression)
        if not found:
            if expression == "*":
                return Response(200, {"acknowledged": True})
            raise ResourceNotFoundError(f"pipeline [{expression}] is missing")
        with engine.store.transaction() as tx:
            for pipeline_id in found:
                tx.delete_meta(pipelines.KIND, pipeline_id)
        for pipeline_id in found:
            pipelines.forget(engine, pipeline_id)
        return Response(200, {"acknowledged": True})

    router.add("PUT", "/_search/pipeline/{id}", put)
    router.add("GET", "/_search/pipeline", get)
    router.add("GET", "/_search/pipeline/{id}", get)
    router.add("DELETE", "/_search/pipeline/{id}", delete)
