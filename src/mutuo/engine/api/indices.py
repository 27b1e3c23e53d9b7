"""Index administration: create, delete, exists, get, mappings, settings, refresh."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from .. import settings as settings_mod
from ..errors import (
    IllegalArgumentError,
    OpenSearchError,
    ResourceAlreadyExistsError,
)
from ..index import Index, validate_index_name
from ..mapping import Mapping
from ..router import Request, Response, Router
from ..vectors_mapping import check_index_settings
from .aliases import normalize_alias, validate_alias_name
from .index_templates import compose_template

if TYPE_CHECKING:
    from ..engine import Engine


class ParseError(OpenSearchError):
    status = 400
    error_type = "parse_exception"


def create_index(engine: Engine, name: str, body: dict[str, Any], implicit: bool = False) -> Index:
    """Create ``name`` from a matching index template and the request body (last wins)."""
    validate_index_name(name)
    if name in engine.indices:
        existing = engine.indices[name]
        raise ResourceAlreadyExistsError(
            f"index [{name}/{existing.uuid}] already exists", index=name, index_uuid=existing.uuid
        )
    if name in engine.alias_map():
        raise IllegalArgumentError(f"Invalid index name [{name}], already exists as alias")
    for key in body:
        if key not in ("settings", "mappings", "aliases"):
            raise ParseError(f"unknown key [{key}] for create index")
    layers = compose_template(engine, name)
    layers.append(
        {
            "settings": body.get("settings") or {},
            "mappings": body.get("mappings") or {},
            "aliases": body.get("aliases") or {},
        }
    )
    flat: dict[str, Any] = {}
    mapping = Mapping()
    aliases: dict[str, dict[str, Any]] = {}
    for layer in layers:
        flat.update(settings_mod.normalize(layer.get("settings")))
        mappings = layer.get("mappings") or {}
        if mappings:
            if "_doc" in mappings and len(mappings) == 1:
                mappings = mappings["_doc"]
            mapping.merge(mappings, from_template=True)
        for alias, spec in (layer.get("aliases") or {}).items():
            validate_alias_name(engine, alias, index_name=name)
            aliases[alias] = normalize_alias(spec or {})
    flat = {k: v for k, v in flat.items() if v is not None}
    check_index_settings(flat, mapping.fields)
    index = Index(name, settings=flat, mappings=mapping.definition, aliases=aliases)
    engine.add_index(index)
    return index


def register(router: Router, engine: Engine) -> None:
    def create(req: Request) -> Response:
        name = req.path_params["index"]
        create_index(engine, name, req.json())
        return Response(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})

    def delete(req: Request) -> Response:
        expression = req.path_params["index"]
        for part in expression.split(","):
            if part in engine.alias_map() and part not in engine.indices:
                raise IllegalArgumentError(
                    f"The provided expression [{part}] matches an alias, specify the corresponding "
                    "concrete indices instead."
                )
        targets = _resolve(engine, req, expression)
        for index in targets:
            engine.delete_index(index)
        return Response(200, {"acknowledged": True})

    def exists(req: Request) -> Response:
        try:
            found = engine.resolve(
                req.path_params["index"],
                allow_no_indices=False,
                ignore_unavailable=req.flag("ignore_unavailable"),
            )
        except OpenSearchError:
            return Response(404, None)
        return Response(200 if found else 404, None)

    def get(req: Request) -> Response:
        out = {}
        for index in sorted(_resolve(engine, req, req.path_params["index"]), key=lambda i: i.name):
            out[index.name] = {
                "aliases": index.aliases,
                "mappings": index.mapping.render(),
                "settings": _render_settings(index.settings, req),
            }
        return Response(200, out)

    def get_mapping(req: Request) -> Response:
        indices = _resolve(engine, req, req.path_params.get("index"))
        return Response(
            200,
            {
                i.name: {"mappings": i.mapping.render()}
                for i in sorted(indices, key=lambda i: i.name)
            },
        )

    def put_mapping(req: Request) -> Response:
        body = req.json()
        indices = _resolve(engine, req, req.path_params.get("index"))
        for index in indices:  # validate on copies first: all or nothing
            candidate = Mapping(index.mapping.definition)
            candidate.merge(body)
            check_index_settings(index.settings, candidate.fields)
        for index in indices:
            index.mapping.merge(body)
            engine.save_metadata(index)
        return Response(200, {"acknowledged": True})

    def get_settings(req: Request) -> Response:
        indices = _resolve(engine, req, req.path_params.get("index"))
        name = req.path_params.get("name")
        out = {}
        for index in sorted(indices, key=lambda i: i.name):
            flat = index.settings
            if name:
                flat = {
                    k: v
                    for k, v in flat.items()
                    if any(
                        fnmatch.fnmatchcase(k, p) or fnmatch.fnmatchcase(k, f"index.{p}")
                        for p in name.split(",")
                    )
                }
            out[index.name] = {"settings": _render_settings(flat, req)}
        return Response(200, out)

    def put_settings(req: Request) -> Response:
        body = req.json()
        update = settings_mod.normalize(body.get("settings", body) if "settings" in body else body)
        indices = _resolve(engine, req, req.path_params.get("index"))
        static = sorted(k for k in update if k in settings_mod.STATIC)
        if static:
            names = ", ".join(f"[{i.name}/{i.uuid}]" for i in indices)
            raise IllegalArgumentError(
                f"Can't update non dynamic settings [[{', '.join(static)}]] for open indices [{names}]"
            )
        for index in indices:
            for key, value in update.items():
                if value is None:
                    index.settings.pop(key, None)
                else:
                    index.settings[key] = value
            engine.save_metadata(index)
        return Response(200, {"acknowledged": True})

    def refresh(req: Request) -> Response:
        indices = _resolve(engine, req, req.path_params.get("index"))
        for index in indices:
            index.refresh()
        total = sum(1 + i.replicas for i in indices)
        return Response(200, {"_shards": {"total": total, "successful": len(indices), "failed": 0}})

    router.add("PUT", "/{index}", create)
    router.add("DELETE", "/{index}", delete)
    router.add("HEAD", "/{index}", exists)
    router.add("GET", "/{index}", get)
    router.add("GET", "/_mapping", get_mapping)
    router.add("GET", "/{index}/_mapping", get_mapping)
    router.add("PUT,POST", "/{index}/_mapping", put_mapping)
    router.add("GET", "/_settings", get_settings)
    router.add("GET", "/{index}/_settings", get_settings)
    router.add("GET", "/{index}/_settings/{name}", get_settings)
    router.add("GET", "/_settings/{name}", get_settings)
    router.add("PUT", "/_settings", put_settings)
    router.add("PUT", "/{index}/_settings", put_settings)
    router.add("GET,POST", "/_refresh", refresh)
    router.add("GET,POST", "/{index}/_refresh", refresh)


def _resolve(engine: Engine, req: Request, expression: str | None) -> list[Index]:
    return engine.resolve(
        expression,
        ignore_unavailable=req.flag("ignore_unavailable"),
        allow_no_indices=req.flag("allow_no_indices", True),
        expand_wildcards=req.params.get("expand_wildcards", "open"),
    )


def _render_settings(flat: dict[str, Any], req: Request) -> dict[str, Any]:
    if req.flag("flat_settings"):
        return dict(sorted(flat.items()))
    return settings_mod.nest(flat)
