"""Stored scripts (``lang: mustache``) and search template rendering.

A stored script is cluster metadata (kind ``stored_script``). As in OpenSearch, a
mustache source given as a JSON object is kept as its compact JSON text with the
``content_type`` option, and every template is rendered with the lang-mustache dialect
of :mod:`.mustache` (parameters are JSON-escaped data, never query syntax), then parsed
as the search body. Other script languages cannot be stored: the engine has no Painless.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import mustache
from .codec import loads_object
from .errors import IllegalArgumentError, ParsingError, ResourceNotFoundError

if TYPE_CHECKING:
    from .engine import Engine

KIND = "stored_script"
_SCRIPTS = "stored_scripts"  # engine.extensions: the stored scripts by id
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
_TEMPLATE_KEYS = {"id", "source", "params", "explain", "profile", "file", "inline"}


def to_source_text(source: Any) -> str:
    """A template given as an object becomes its compact JSON text (before rendering)."""
    if isinstance(source, str):
        return source
    return json.dumps(source, ensure_ascii=False, separators=(",", ":"))


def put_script(engine: Engine, script_id: str, body: dict[str, Any]) -> None:
    """Validate and store ``{"script": {"lang": "mustache", "source": ...}}``."""
    script = body.get("script")
    if not isinstance(script, dict):
        raise ParsingError("unexpected stored script format; expected [script] object")
    unknown = set(script) - {"lang", "source", "options", "code"}
    if unknown:
        raise ParsingError(f"[script] unknown field [{sorted(unknown)[0]}]")
    lang = script.get("lang")
    if lang is None:
        raise IllegalArgumentError("must specify lang for stored script")
    if lang != "mustache":
        raise IllegalArgumentError(
            f"unable to put stored script with lang [{lang}]: the embedded engine stores "
            "[mustache] templates only"
        )
    source = script.get("source", script.get("code"))
    if source is None or source == "":
        raise IllegalArgumentError("must specify source for stored script")
    options = dict(script.get("options") or {})
    if not isinstance(source, str):
        options.setdefault("content_type", JSON_CONTENT_TYPE)
    text = to_source_text(source)
    mustache.parse(text)  # a template that cannot compile is never stored
    stored: dict[str, Any] = {"lang": lang, "source": text}
    if options:
        stored["options"] = options
    with engine.store.transaction() as tx:
        tx.put_meta(KIND, script_id, stored)
    engine.extensions.pop(_SCRIPTS, None)


def get_script(engine: Engine, script_id: str) -> dict[str, Any] | None:
    """A stored script, from the engine's copy of them (read from the store once, dropped
    when a script is stored or deleted): every template search names one."""
    scripts: dict[str, dict[str, Any]] | None = engine.extensions.get(_SCRIPTS)
    if scripts is None:
        scripts = engine.extensions[_SCRIPTS] = dict(engine.store.meta_items(KIND))
    script = scripts.get(script_id)
    return None if script is None else dict(script)


def delete_script(engine: Engine, script_id: str) -> None:
    if get_script(engine, script_id) is None:
        raise ResourceNotFoundError(f"stored script [{script_id}] does not exist")
    with engine.store.transaction() as tx:
        tx.delete_meta(KIND, script_id)
    engine.extensions.pop(_SCRIPTS, None)


def render_request(
    engine: Engine, request: dict[str, Any], stored_id: str | None = None
) -> dict[str, Any]:
    """A search template request (``id`` or ``source``, ``params``) -> the search body."""
    for key in request:
        if key not in _TEMPLATE_KEYS:
            raise ParsingError(f"[SearchTemplateRequest] unknown field [{key}]")
    params = request.get("params") or {}
    if not isinstance(params, dict):
        raise ParsingError("[params] must be an object")
    script_id = stored_id or request.get("id")
    if script_id is not None:
        script = get_script(engine, str(script_id))
        if script is None:
            raise ResourceNotFoundError(f"unable to find script [{script_id}] in cluster state")
        if script.get("lang") != "mustache":
            raise IllegalArgumentError(f"stored script [{script_id}] is not a mustache template")
        text = script["source"]
    elif "source" in request or "inline" in request:
        text = to_source_text(request.get("source", request.get("inline")))
    else:
        raise IllegalArgumentError("template is missing")
    return loads_object(mustache.render(text, params), "the rendered search template")


def search_body(engine: Engine, request: dict[str, Any]) -> dict[str, Any]:
    """The rendered body of ``_search/template``, with the request's explain/profile."""
    body = render_request(engine, request)
    for flag in ("explain", "profile"):
        if request.get(flag):
            body[flag] = True
    return body
