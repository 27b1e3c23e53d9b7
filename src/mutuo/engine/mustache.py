"""OpenSearch's mustache dialect (lang-mustache over mustache.java), for search templates
and LTR feature templates.

Why not a generic mustache library: OpenSearch's dialect differs from the spec in ways
that decide whether a template is safe and correct. ``{{x}}`` escapes as a JSON string
(so a parameter is data and can never inject a query clause), values print as Java's
``toString`` does (``true``, ``[a, b]``, ``1.0E-5``), dotted names index arrays
(``{{list.0}}``), the functions ``{{#toJson}}``, ``{{#join}}``,
``{{#join delimiter='|'}}`` and ``{{#url}}`` are built in, and a malformed tag is an error
("Improperly closed variable: x in query-template"), never literal text.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

import orjson

from .errors import OpenSearchError

TEMPLATE_NAME = "query-template"
_JOIN_DELIM = re.compile(r"^join delimiter='(.*)'$")


class MustacheError(OpenSearchError):
    status = 400
    error_type = "general_script_exception"


# -- parsing ------------------------------------------------------------------------------


@dataclass
class _Section:
    name: str
    inverted: bool
    children: list[Any] = field(default_factory=list)
    raw: str = ""  # the unrendered body (functions read their argument from it)


@dataclass
class _Var:
    name: str
    escaped: bool


def _error(message: str) -> MustacheError:
    return MustacheError(
        "Failed to compile inline script [" + message + "] using lang [mustache]",
        caused_by=OpenSearchError(message, error_type="mustache_exception", status=400),
        root_causes=[OpenSearchError(message, error_type="mustache_exception", status=400)],
    )


def parse(template: str) -> list[Any]:
    """Compile a template into a tree of text, variables and sections."""
    root: list[Any] = []
    stack: list[tuple[_Section | None, list[Any], int]] = [(None, root, 0)]
    pos = 0
    while True:
        start = template.find("{{", pos)
        if start < 0:
            stack[-1][1].append(template[pos:])
            break
        stack[-1][1].append(template[pos:start])
        triple = template.startswith("{{{", start)
        if triple:
            end = template.find("}}}", start + 3)
            name = template[start + 3 : end if end >= 0 else None].strip()
            bad = end < 0 or "}" in template[start + 3 : end] or "{" in template[start + 3 : end]
            if bad:
                shown = name.split("}")[0].strip()
                raise _error(f"Improperly closed variable: {shown} in {TEMPLATE_NAME}:1")
            stack[-1][1].append(_Var(name, escaped=False))
            pos = end + 3
            continue
        end = template.find("}}", start + 2)
        if end < 0 or "{{" in template[start + 2 : end]:
            shown = template[start + 2 :].split("}")[0].strip()
            raise _error(f"Improperly closed variable: {shown} in {TEMPLATE_NAME}:1")
        tag = template[start + 2 : end]
        pos = end + 2
        kind, name = (tag[0], tag[1:].strip()) if tag[:1] in "#^/!&>=" else ("", tag.strip())
        if kind == "!":
            continue
        if kind in (">", "="):
            raise _error(f"partials and delimiter changes are not supported: {{{{{tag}}}}}")
        if kind == "&":
            stack[-1][1].append(_Var(name, escaped=False))
        elif kind in ("#", "^"):
            section = _Section(name, inverted=kind == "^")
            stack[-1][1].append(section)
            stack.append((section, section.children, pos))
        elif kind == "/":
            open_section, _children, body_start = stack[-1]
            if open_section is None or open_section.name != name:
                expected = open_section.name if open_section else "nothing"
                raise _error(
                    f"Mismatched start/end tags: {expected} != {name} in {TEMPLATE_NAME}:1"
                )
            open_section.raw = template[body_start:start]
            stack.pop()
        else:
            stack[-1][1].append(_Var(name, escaped=True))
    if len(stack) > 1:
        raise _error(f"Failed to close '{stack[-1][0].name}' tag at line 1")  # type: ignore[union-attr]
    return root


_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$.]*")


def referenced_names(tree: list[Any]) -> frozenset[str]:
    """Every top-level parameter name that rendering ``tree`` may read.

    The first segment of each variable and section name, and of the argument of the
    functions ``toJson`` and ``join`` (read from the section's raw body). A name inside a
    section may resolve against the section's item or fall back to the top level, so it
    counts too: an over-approximation, which is what a cache key needs.
    """
    names: set[str] = set()
    stack = list(tree)
    while stack:
        node = stack.pop()
        if isinstance(node, _Section) and _is_function(node.name):
            names.update(m.split(".")[0] for m in _IDENTIFIER.findall(node.raw))
        elif isinstance(node, _Var | _Section):
            names.add(node.name.split(".")[0])
        if isinstance(node, _Section):
            stack.extend(node.children)
    names.discard("")
    return frozenset(names)


def _is_function(name: str) -> bool:
    return name.lower() in ("tojson", "join", "url") or bool(_JOIN_DELIM.match(name))


# -- rendering -----------------------------------------------------------------------------


def java_str(value: Any) -> str:
    """``String.valueOf`` of a value parsed from JSON, as mustache.java prints it."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, list):
        return "[" + ", ".join(_java_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_inner(v)}" for k, v in value.items()) + "}"
    return str(value)


def _java_inner(value: Any) -> str:
    return "null" if value is None else java_str(value)


def _java_double(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    sign, digit_tuple, exp = Decimal(repr(value)).as_tuple()  # shortest round-trip digits
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exponent = len(digit_tuple) + int(exp) - 1
    return f"{'-' if sign else ''}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def json_escape(text: str) -> str:
    """JSON string escaping (JsonStringEncoder.quoteAsString), without the quotes."""
    if _NEEDS_ESCAPE.search(text) is None:  # most values (numbers, ids) are left as they are
        return text
    return json.dumps(text, ensure_ascii=False)[1:-1]


# what json.dumps(ensure_ascii=False) escapes
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def url_encode(text: str) -> str:
    """java.net.URLEncoder (UTF-8): ``*-._`` and alphanumerics kept, space as ``+``."""
    return quote_plus(text, safe="*").replace("~", "%7E")


_MISSING = object()


def _lookup(name: str, stack: list[Any]) -> Any:
    if name == ".":
        return stack[-1]
    first, *rest = _name_parts(name)
    for ctx in reversed(stack):
        value = ctx.get(first, _MISSING) if type(ctx) is dict else _get(ctx, first)
        if value is not _MISSING:
            for part in rest:
                value = _get(value, part)
                if value is _MISSING:
                    return None
            return value
    return None


@lru_cache(maxsize=4096)
def _name_parts(name: str) -> tuple[str, ...]:
    """A dotted name's segments (a template names the same few parameters per render)."""
    return tuple(name.split("."))


def _get(ctx: Any, key: str) -> Any:
    if isinstance(ctx, dict):
        return ctx.get(key, _MISSING)
    if isinstance(ctx, list) and key.isdigit():
        index = int(key)
        return ctx[index] if index < len(ctx) else _MISSING
    return _MISSING


def _falsy(value: Any) -> bool:
    return value is None or value is False or value == [] or value == ""


# Sections at least this long are rendered once per render and context: the recommend
# template repeats its hard filter (a dozen distance steps) in each candidate source.
# The memo also holds each variable's text per context (keys: a variable's name and the
# stack's ids; a section's name, inversion, body and the stack's ids).
_REMEMBERED_SECTION = 256
_Memo = dict[tuple[Any, ...], str]


def _render_nodes(
    nodes: list[Any], stack: list[Any], escape: bool, out: list[str], memo: _Memo
) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Var):
            key = (node.name, *map(id, stack))
            text = memo.get(key)
            if text is None:  # a viewer's coordinates are printed a dozen times
                text = memo[key] = java_str(_lookup(node.name, stack))
            out.append(json_escape(text) if node.escaped and escape else text)
        elif len(node.raw) < _REMEMBERED_SECTION:
            _render_section(node, stack, escape, out, memo)
        else:
            _render_remembered(node, stack, escape, out, memo)


def _render_remembered(
    node: _Section, stack: list[Any], escape: bool, out: list[str], memo: _Memo
) -> None:
    """A long section, rendered once per render for a context: the same text (a section
    is its tag and body) in the same context (the very objects on the stack, alive for
    the whole render) renders the same."""
    key = (node.name, node.inverted, node.raw, *map(id, stack))
    text = memo.get(key)
    if text is None:
        inner: list[str] = []
        _render_section(node, stack, escape, inner, memo)
        text = memo[key] = "".join(inner)
    out.append(text)


def _render_section(
    node: _Section, stack: list[Any], escape: bool, out: list[str], memo: _Memo
) -> None:
    if not node.inverted:
        function = _function(node, stack, escape, memo)
        if function is not None:
            out.append(function)
            return
    value = _lookup(node.name, stack)
    if node.inverted:
        if _falsy(value):
            _render_nodes(node.children, stack, escape, out, memo)
        return
    if _falsy(value):
        return
    if isinstance(value, list):
        for item in value:
            _render_nodes(node.children, [*stack, item], escape, out, memo)
    else:
        _render_nodes(node.children, [*stack, value], escape, out, memo)


def _function(node: _Section, stack: list[Any], escape: bool, memo: _Memo) -> str | None:
    name = node.name
    if name.lower() == "url":
        inner: list[str] = []
        _render_nodes(node.children, stack, escape, inner, memo)
        return url_encode("".join(inner))
    delimiter = None
    if name.lower() == "join":
        delimiter = ","
    else:
        m = _JOIN_DELIM.match(name)
        if m:
            delimiter = m.group(1)
    if delimiter is None and name.lower() != "tojson":
        return None
    argument = node.raw.strip()
    if len([c for c in node.children if not (isinstance(c, str) and not c.strip())]) > 1:
        raise _error(f"Mustache function [{name}] must contain one and only one identifier")
    resolved = _lookup(argument.strip("{} "), stack)
    if resolved is None:
        return ""
    if delimiter is not None:
        items = resolved if isinstance(resolved, list) else [resolved]
        text = delimiter.join(java_str(v) for v in items)
        return json_escape(text) if escape else text
    if isinstance(resolved, dict | list):
        return to_json(resolved)
    return java_str(resolved)


def to_json(value: dict[str, Any] | list[Any]) -> str:
    """Compact JSON of a ``toJson`` argument (a viewer's profile with its vectors).

    orjson writes the same values as the standard library, ~20x faster. It cannot write
    integers beyond 64 bits (TypeError) and writes NaN and infinities as ``null``: such
    values (and any ``null``, which may have been one) take the standard library.
    """
    try:
        text = orjson.dumps(value)
    except TypeError:
        text = b"null"
    if b"null" in text:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.decode()


@lru_cache(maxsize=64)
def compiled(template: str) -> list[Any]:
    """:func:`parse` once per template text (stored templates are rendered per request;
    a tree is never changed by rendering)."""
    return parse(template)


def render(template: str | list[Any], params: dict[str, Any], escape_json: bool = True) -> str:
    """Render ``template`` (text, or the tree from :func:`parse`) with ``params``."""
    tree = compiled(template) if isinstance(template, str) else template
    out: list[str] = []
    _render_nodes(tree, [params], escape_json, out, {})
    return "".join(out)
