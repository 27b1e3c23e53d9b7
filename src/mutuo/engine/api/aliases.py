"""Aliases: ``_aliases`` actions and the ``_alias`` APIs."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from ..errors import (
    AliasesNotFoundError,
    IllegalArgumentError,
    IndexNotFoundError,
    InvalidAliasNameError,
    OpenSearchError,
    XContentParseError,
)
from ..router import Request, Response, Router

if TYPE_CHECKING:
    from ..engine import Engine
    from ..index import Index

_ALIAS_KEYS = {
    "filter",
    "routing",
    "index_routing",
    "search_routing",
    "is_write_index",
    "is_hidden",
}
_INVALID_CHARS = ' "*\\<|,>/?#'


def validate_alias_name(engine: Engine, alias: str, index_name: str | None = None) -> None:
    if not alias:
        raise InvalidAliasNameError(f"Invalid alias name [{alias}]: alias name cannot be empty")
    if any(c in alias for c in _INVALID_CHARS):
        raise InvalidAliasNameError(
            f"Invalid alias name [{alias}]: must not contain the following characters "
            '[ , ", *, \\, <, |, ,, >, /, ?]'
        )
    if alias != alias.lower() or alias.startswith(("_", "-", "+")):
        raise InvalidAliasNameError(
            f"Invalid alias name [{alias}]: must be lowercase and must not start with '_', '-', or '+'"
        )
    if alias in engine.indices or alias == index_name:
        raise InvalidAliasNameError(
            f"Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias",
            index=alias,
        )


def normalize_alias(spec: dict[str, Any]) -> dict[str, Any]:
    """Alias properties as OpenSearch stores and prints them."""
    for key in spec:
        if key not in _ALIAS_KEYS:
            raise XContentParseError(f"[aliases] unknown field [{key}]")
    out: dict[str, Any] = {}
    if spec.get("filter") is not None:
        out["filter"] = spec["filter"]
    if spec.get("routing") is not None:
        out["index_routing"] = out["search_routing"] = str(spec["routing"])
    if spec.get("index_routing") is not None:
        out["index_routing"] = str(spec["index_routing"])
    if spec.get("search_routing") is not None:
        out["search_routing"] = str(spec["search_routing"])
    if spec.get("is_write_index") is not None:
        out["is_write_index"] = bool(spec["is_write_index"])
    if spec.get("is_hidden") is not None:
        out["is_hidden"] = bool(spec["is_hidden"])
    return out


def _names(action: dict[str, Any], single: str, plural: str) -> list[str]:
    if single in action and plural in action:
        raise IllegalArgumentError(f"[{single}] and [{plural}] cannot both be set")
    if plural in action:
        value = action[plural]
        names = [value] if isinstance(value, str) else list(value)
        if not names:
            raise IllegalArgumentError(f"[{plural}] can't be empty")
        return names
    if single in action:
        value = action[single]
        return [str(value)] if value is not None else []
    return []


def register(router: Router, engine: Engine) -> None:
    def update_aliases(req: Request) -> Response:
        body = req.json()
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            raise (
                IllegalArgumentError("No action specified")
                if actions == []
                else OpenSearchError(
                    "[actions] is required",
                    status=400,
                    error_type="action_request_validation_exception",
                )
            )
        plan: list[tuple[str, Index, str, dict[str, Any]]] = []
        for entry in actions:
            if not isinstance(entry, dict) or len(entry) != 1:
                raise IllegalArgumentError("Expected a single action per entry in [actions]")
            ((kind, action),) = entry.items()
            plan.extend(_plan_action(engine, kind, action))
        for kind, index, alias, spec in plan:  # validated: apply atomically
            if kind == "add":
                index.aliases[alias] = spec
            elif kind == "remove":
                index.aliases.pop(alias, None)
            elif kind == "remove_index":
                engine.delete_index(index)
        for index in {id(i): i for _, i, _, _ in plan if i.name in engine.indices}.values():
            engine.save_metadata(index)
        return Response(200, {"acknowledged": True})

    def put_alias(req: Request) -> Response:
        body = req.json()
        index_expr = (
            body.pop("index", None) or body.pop("indices", None) or req.path_params.get("index")
        )
        alias = body.pop("alias", None) or req.path_params.get("name")
        if not index_expr or index_expr == "null" or not alias or alias == "null":
            raise OpenSearchError(
                "Validation Failed: 1: index is missing;"
                if not index_expr or index_expr == "null"
                else "Validation Failed: 1: alias is missing;",
                status=400,
                error_type="action_request_validation_exception",
            )
        if isinstance(index_expr, list):
            index_expr = ",".join(index_expr)
        spec = normalize_alias(body)
        targets = engine.resolve(index_expr, allow_no_indices=False)
        for index in targets:
            validate_alias_name(engine, alias, index.name)
        for index in targets:
            index.aliases[alias] = spec
            engine.save_metadata(index)
        return Response(200, {"acknowledged": True})

    def delete_alias(req: Request) -> Response:
        targets = engine.resolve(req.path_params["index"])
        patterns = req.path_params["name"].split(",")
        removed = False
        for index in targets:
            for alias in list(index.aliases):
                if any(p in ("_all", "*") or fnmatch.fnmatchcase(alias, p) for p in patterns):
                    del index.aliases[alias]
                    removed = True
                    engine.save_metadata(index)
        if not removed:
            raise AliasesNotFoundError(
                f"aliases [{','.join(patterns)}] missing",
                resource__type="aliases",
                resource__id=",".join(patterns),
            )
        return Response(200, {"acknowledged": True})

    def get_alias(req: Request) -> Response:
        name = req.path_params.get("name")
        index_expr = req.path_params.get("index")
        indices = engine.resolve(index_expr, ignore_unavailable=req.flag("ignore_unavailable"))
        patterns = name.split(",") if name else None
        out: dict[str, Any] = {}
        found_any = False
        for index in sorted(indices, key=lambda i: i.name):
            matched = {
                a: s
                for a, s in sorted(index.aliases.items())
                if patterns is None
                or any(p in ("_all", "*") or fnmatch.fnmatchcase(a, p) for p in patterns)
            }
            if matched:
                found_any = True
            if matched or (patterns is None and index_expr):
                out[index.name] = {"aliases": matched}
            elif patterns is None and not index_expr and not index.hidden:
                out[index.name] = {"aliases": {}}
        if patterns is not None and not found_any:
            missing = ",".join(patterns)
            if req.method == "HEAD":
                return Response(404, None)
            return Response(404, {"error": f"alias [{missing}] missing", "status": 404})
        if req.method == "HEAD":
            return Response(200, None)
        return Response(200, out)

    router.add("POST", "/_aliases", update_aliases)
    for path in (
        "/{index}/_alias/{name}",
        "/{index}/_aliases/{name}",
        "/_alias/{name}",
        "/_aliases/{name}",
    ):
        router.add("PUT,POST", path, put_alias)
    for path in ("/{index}/_alias", "/{index}/_aliases", "/_alias"):
        router.add("PUT", path, put_alias)
    router.add("DELETE", "/{index}/_alias/{name}", delete_alias)
    router.add("DELETE", "/{index}/_aliases/{name}", delete_alias)
    router.add("GET,HEAD", "/_alias", get_alias)
    router.add("GET,HEAD", "/_alias/{name}", get_alias)
    router.add("GET,HEAD", "/{index}/_alias/{name}", get_alias)
    router.add("GET,HEAD", "/{index}/_alias", get_alias)


def _plan_action(
    engine: Engine, kind: str, action: dict[str, Any]
) -> list[tuple[str, Index, str, dict[str, Any]]]:
    if kind not in ("add", "remove", "remove_index"):
        raise IllegalArgumentError(f"Unsupported action [{kind}]")
    index_names = _names(action, "index", "indices")
    if not index_names:
        raise IllegalArgumentError("One of [index] or [indices] is required")
    try:
        targets = engine.resolve(",".join(index_names), allow_no_indices=False)
    except IndexNotFoundError:
        raise
    if kind == "remove_index":
        return [("remove_index", t, "", {}) for t in targets]
    aliases = _names(action, "alias", "aliases")
    if not aliases:
        raise IllegalArgumentError("One of [alias] or [aliases] is required")
    extra = {
        k: v
        for k, v in action.items()
        if k not in ("index", "indices", "alias", "aliases", "must_exist")
    }
    if kind == "add":
        spec = normalize_alias(extra)
        out = []
        for index in targets:
            for alias in aliases:
                validate_alias_name(engine, alias, index.name)
                out.append(("add", index, alias, spec))
        return out
    must_exist = action.get("must_exist")
    out = []
    for index in targets:
        matched = [a for a in index.aliases if any(fnmatch.fnmatchcase(a, p) for p in aliases)]
        if must_exist is True:
            missing = [
                p for p in aliases if not any(fnmatch.fnmatchcase(a, p) for a in index.aliases)
            ]
            if missing:
                raise AliasesNotFoundError(
                    f"aliases [{','.join(missing)}] missing",
                    resource__type="aliases",
                    resource__id=",".join(missing),
                )
        if not matched and must_exist is None:
            raise AliasesNotFoundError(
                f"aliases [{','.join(aliases)}] missing",
                resource__type="aliases",
                resource__id=",".join(aliases),
            )
        out.extend(("remove", index, a, {}) for a in matched)
    return out
