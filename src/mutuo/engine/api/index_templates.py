"""Composable index templates and component templates.

On index creation the single matching template with the highest ``priority`` applies:
its ``composed_of`` component templates in order, then its own ``template`` block; the
create request body is layered on top by the caller.
"""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from .. import settings as settings_mod
from ..errors import (
    IllegalArgumentError,
    OpenSearchError,
    ResourceNotFoundError,
)
from ..mapping import Mapping
from ..router import Request, Response, Router
from .aliases import normalize_alias

if TYPE_CHECKING:
    from ..engine import Engine

INDEX_TEMPLATE = "index_template"
COMPONENT_TEMPLATE = "component_template"
_TEMPLATE_KEYS = {
    "index_patterns",
    "template",
    "composed_of",
    "priority",
    "version",
    "_meta",
    "data_stream",
}


class ActionValidationError(OpenSearchError):
    status = 400
    error_type = "action_request_validation_exception"


def _templates(engine: Engine, kind: str) -> dict[str, dict[str, Any]]:
    cache: dict[str, dict[str, dict[str, Any]]] = engine.extensions.setdefault("templates", {})
    if kind not in cache:
        cache[kind] = dict(engine.store.meta_items(kind))
    return cache[kind]


def compose_template(engine: Engine, index_name: str) -> list[dict[str, Any]]:
    """The template layers (component templates, then the template) for a new index."""
    best: tuple[int, str, dict[str, Any]] | None = None
    for name, template in _templates(engine, INDEX_TEMPLATE).items():
        if any(fnmatch.fnmatchcase(index_name, p) for p in template["index_patterns"]):
            priority = int(template.get("priority", 0))
            if best is None or priority > best[0]:
                best = (priority, name, template)
    if best is None:
        return []
    template = best[2]
    components = _templates(engine, COMPONENT_TEMPLATE)
    layers = [components[c]["template"] for c in template.get("composed_of", []) if c in components]
    layers.append(template.get("template", {}))
    return layers


def _render_template_block(block: dict[str, Any]) -> dict[str, Any]:
    out = dict(block)
    if "settings" in out:
        out["settings"] = settings_mod.nest(out["settings"])
    return out


def _check_block(block: dict[str, Any]) -> dict[str, Any]:
    """Validate a ``template`` block and store its settings flat."""
    for key in block:
        if key not in ("settings", "mappings", "aliases"):
            raise IllegalArgumentError(f"[template] unknown field [{key}]")
    out = dict(block)
    if "settings" in out:
        out["settings"] = settings_mod.normalize(out["settings"])
    if out.get("mappings"):
        Mapping(out["mappings"])  # raises mapper_parsing_exception when invalid
    if out.get("aliases"):
        out["aliases"] = {
            name: normalize_alias(spec or {}) for name, spec in out["aliases"].items()
        }
    return out


def register(router: Router, engine: Engine) -> None:
    def put_index_template(req: Request) -> Response:
        name = req.path_params["name"]
        body = req.json()
        for key in body:
            if key not in _TEMPLATE_KEYS:
                raise IllegalArgumentError(f"[index_template] unknown field [{key}]")
        patterns = body.get("index_patterns")
        if not patterns:
            raise ActionValidationError("Validation Failed: 1: index patterns are missing;")
        patterns = [patterns] if isinstance(patterns, str) else list(patterns)
        templates = _templates(engine, INDEX_TEMPLATE)
        if req.flag("create") and name in templates:
            raise IllegalArgumentError(f"index template [{name}] already exists")
        components = _templates(engine, COMPONENT_TEMPLATE)
        for comp in body.get("composed_of", []):
            if comp not in components:
                raise OpenSearchError(
                    f"index template [{name}] specifies component templates [{comp}] that do not exist",
                    status=400,
                    error_type="invalid_index_template_exception",
                )
        priority = int(body.get("priority", 0))
        for other_name, other in templates.items():
            if (
                other_name != name
                and int(other.get("priority", 0)) == priority
                and _overlap(patterns, other["index_patterns"])
            ):
                raise IllegalArgumentError(
                    f"index template [{name}] has index patterns {_plist(patterns)} matching patterns "
                    f"from existing templates [{other_name}] with patterns ({other_name} => "
                    f"{_plist(other['index_patterns'])}) that have the same priority [{priority}], "
                    "multiple index templates may not match during index creation, please use a "
                    "different priority"
                )
        stored = {**body, "index_patterns": patterns}
        if "template" in body:
            stored["template"] = _check_block(body["template"] or {})
        with engine.store.transaction() as tx:
            tx.put_meta(INDEX_TEMPLATE, name, stored)
        templates[name] = stored
        return Response(200, {"acknowledged": True})

    def get_index_template(req: Request) -> Response:
        name = req.path_params.get("name")
        templates = _templates(engine, INDEX_TEMPLATE)
        selected = _select(templates, name, "index template")
        out = []
        for tname in selected:
            template = dict(templates[tname])
            if "template" in template:
                template["template"] = _render_template_block(template["template"])
            out.append({"name": tname, "index_template": template})
        return Response(200, {"index_templates": out})

    def delete_index_template(req: Request) -> Response:
        templates = _templates(engine, INDEX_TEMPLATE)
        for name in _select(templates, req.path_params["name"], "index_template matching"):
            with engine.store.transaction() as tx:
                tx.delete_meta(INDEX_TEMPLATE, name)
            del templates[name]
        return Response(200, {"acknowledged": True})

    def exists_index_template(req: Request) -> Response:
        templates = _templates(engine, INDEX_TEMPLATE)
        return Response(200 if req.path_params["name"] in templates else 404, None)

    def put_component(req: Request) -> Response:
        name = req.path_params["name"]
        body = req.json()
        if "template" not in body:
            raise ActionValidationError("Validation Failed: 1: template is missing;")
        components = _templates(engine, COMPONENT_TEMPLATE)
        if req.flag("create") and name in components:
            raise IllegalArgumentError(f"component template [{name}] already exists")
        stored = {**body, "template": _check_block(body["template"] or {})}
        with engine.store.transaction() as tx:
            tx.put_meta(COMPONENT_TEMPLATE, name, stored)
        components[name] = stored
        return Response(200, {"acknowledged": True})

    def get_component(req: Request) -> Response:
        components = _templates(engine, COMPONENT_TEMPLATE)
        names = _select(components, req.path_params.get("name"), "component template")
        out = []
        for cname in names:
            comp = dict(components[cname])
            comp["template"] = _render_template_block(comp["template"])
            out.append({"name": cname, "component_template": comp})
        return Response(200, {"component_templates": out})

    def delete_component(req: Request) -> Response:
        components = _templates(engine, COMPONENT_TEMPLATE)
        users = [
            n
            for n, t in _templates(engine, INDEX_TEMPLATE).items()
            if req.path_params["name"] in t.get("composed_of", [])
        ]
        if users:
            raise IllegalArgumentError(
                f"component templates [{req.path_params['name']}] cannot be removed as they are still "
                f"in use by index templates [{', '.join(sorted(users))}]"
            )
        for name in _select(components, req.path_params["name"], "component template"):
            with engine.store.transaction() as tx:
                tx.delete_meta(COMPONENT_TEMPLATE, name)
            del components[name]
        return Response(200, {"acknowledged": True})

    router.add("PUT,POST", "/_index_template/{name}", put_index_template)
    router.add("GET", "/_index_template", get_index_template)
    router.add("GET", "/_index_template/{name}", get_index_template)
    router.add("HEAD", "/_index_template/{name}", exists_index_template)
    router.add("DELETE", "/_index_template/{name}", delete_index_template)
    router.add("PUT,POST", "/_component_template/{name}", put_component)
    router.add("GET", "/_component_template", get_component)
    router.add("GET", "/_component_template/{name}", get_component)
    router.add("DELETE", "/_component_template/{name}", delete_component)


def _select(items: dict[str, Any], expression: str | None, what: str) -> list[str]:
    if not expression or expression in ("*", "_all"):
        return sorted(items)
    names = []
    for part in expression.split(","):
        matched = [n for n in items if fnmatch.fnmatchcase(n, part)]
        if not matched and "*" not in part:
            raise ResourceNotFoundError(
                f"{what} [{part}] not found"
                if what != "index_template matching"
                else f"index_template matching [{part}] not found"
            )
        names.extend(matched)
    return sorted(set(names))


def _plist(patterns: list[str]) -> str:
    return "[" + ", ".join(patterns) + "]"


def _overlap(a: list[str], b: list[str]) -> bool:
    """Whether two pattern lists can match a common index name.

    Two glob patterns overlap when one matches the other literally, or when their
    literal prefixes are compatible and the segments after the first wildcard can line
    up (``app-*-some-*`` and ``app-*-some_other-*`` cannot).
    """
    return any(_patterns_overlap(x, y) for x in a for y in b)


def _patterns_overlap(x: str, y: str) -> bool:
    if fnmatch.fnmatchcase(x, y) or fnmatch.fnmatchcase(y, x):
        return True
    px, py = x.split("*", 1)[0], y.split("*", 1)[0]
    if not (px.startswith(py) or py.startswith(px)):
        return False
    lit_x = [s for s in x.split("*")[1:] if s]
    lit_y = [s for s in y.split("*")[1:] if s]
    if (
        lit_x
        and lit_y
        and lit_x[0] != lit_y[0]
        and not (lit_x[0] in lit_y[0] or lit_y[0] in lit_x[0])
    ):
        return False
    return "*" in x or "*" in y
