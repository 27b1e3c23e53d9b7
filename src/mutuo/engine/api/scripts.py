"""Stored scripts and search templates: ``_scripts``, ``_render/template``,
``_search/template`` and ``_msearch/template``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import templates
from ..router import Request, Response, Router
from .msearch import Item, parse_items, respond
from .search import alias_filters
from .search_pipelines import run_search

if TYPE_CHECKING:
    from ..engine import Engine


def _template_search(engine: Engine, item: Item) -> dict[str, Any]:
    """A search template request (``item.body``) run with the item's target and options."""
    indices = item.indices(engine)  # before rendering: a missing index fails first
    body = templates.search_body(engine, item.body)
    filters = alias_filters(engine, item.expression)
    return run_search(
        engine, indices, body, item.params, item.expression, filters, verbatim_source=True
    )


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
        item = Item(req.path_params.get("index"), req.params, req.json())
        return Response(200, _template_search(engine, item))

    def msearch_template(req: Request) -> Response:
        items = parse_items(req.body, req.params, req.path_params.get("index"))
        return respond(items, lambda item: _template_search(engine, item))

    router.add("PUT,POST", "/_scripts/{id}", put_script)
    router.add("GET", "/_scripts/{id}", get_script)
    router.add("DELETE", "/_scripts/{id}", delete_script)
    router.add("GET,POST", "/_render/template", render)
    router.add("GET,POST", "/_render/template/{id}", render)
    router.add("GET,POST", "/_search/template", search_template)
    router.add("GET,POST", "/{index}/_search/template", search_template)
    router.add("GET,POST", "/_msearch/template", msearch_template)
    router.add("GET,POST", "/{index}/_msearch/template", msearch_template)
