"""Feature templates rendered once: the parsed JSON with holes that each request fills.

A feature template is usually a fixed query whose params only fill JSON strings
(``{"match": {"bio": "{{bio_q}}"}}``, ``"origin": "{{lat}},{{lon}}"``) or, through
``{{#toJson}}vector{{/toJson}}``, a whole array. Such a template is rendered and parsed
once, with markers for its params; a request then copies that body with each marker
replaced by the param's text, instead of rendering the template and parsing the JSON
again. The body is the one rendering would parse: an escaped ``{{x}}`` inside a JSON
string prints ``x`` as mustache does (:func:`.mustache.java_str`), escapes it, and the
JSON parser unescapes it back to that text; a finite number vector prints and parses back
to the same numbers.

Only templates where this holds by construction get a shape: every tag is an escaped
variable with a plain name or a top-level ``toJson`` of a param, and every variable's
marker lands inside a JSON string value (not a key, not outside quotes). Anything else
(sections, functions, dotted names, a param printed into a number) renders per request.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from typing import Any

from .. import codec, mustache
from ..errors import OpenSearchError

_TEXT = f"\x01mutuo-param-{uuid.uuid4().hex}:"
_TEXT_END = "\x02"
_TEXT_SLOT = re.compile(re.escape(_TEXT) + r"([A-Za-z_][A-Za-z0-9_]*)" + _TEXT_END)
_VECTOR = f"\x01mutuo-vector-{uuid.uuid4().hex}:"


class Shape:
    """The parsed body of a template with a marker in place of each param use."""

    def __init__(self, body: Any, texts: list[str], vectors: list[str]) -> None:
        self.body = body
        self.texts = texts  # params printed into strings
        self.vectors = vectors  # params printed as whole arrays (toJson)

    def fill(self, params: dict[str, Any]) -> Any:
        """The body for ``params``, or None when a value needs the template rendered (a
        vector param that is not a list of finite numbers, text that is not valid
        Unicode)."""
        arrays: dict[str, list[Any]] = {}
        for name in self.vectors:
            value = params.get(name)
            if value is None or not is_vector(value):
                return None
            arrays[name] = value  # copied into the body by _filled
        texts: dict[str, str] = {}
        for name in self.texts:
            text = mustache.java_str(params.get(name))
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: let the JSON parser refuse it
                return None
            texts[name] = text
        return _filled(self.body, texts, arrays)


def compile_shape(tree: list[Any], vector_params: set[str]) -> Shape | None:
    """The shape of a parsed template, or None when it has none (module doc).
    ``vector_params`` are the params it reads only as a top-level ``toJson``."""
    texts: list[str] = []
    vectors: list[str] = []
    for node in tree:
        if isinstance(node, str):
            continue
        if isinstance(node, mustache._Var) and node.escaped and node.name.isidentifier():
            texts.append(node.name)
        elif isinstance(node, mustache._Section) and _json_name(node) in vector_params:
            vectors.append(_json_name(node))
        else:
            return None
    marked: dict[str, Any] = {name: f"{_TEXT}{name}{_TEXT_END}" for name in texts}
    marked.update({name: [_VECTOR + name] for name in vectors})
    try:
        body = codec.loads(mustache.render(tree, marked))
    except OpenSearchError:
        return None
    found = _count(body)
    if found is None or found != (len(texts), len(vectors)):
        return None
    return Shape(body, sorted(set(texts)), sorted(set(vectors)))


def _json_name(node: Any) -> str:
    if node.inverted or node.name.lower() != "tojson":
        return ""
    return str(node.raw.strip().strip("{} "))


def json_only_params(tree: list[Any]) -> dict[str, int]:
    """Params the template reads only as ``{{#toJson}}name{{/toJson}}`` at its top level
    (where nothing but the params can resolve the name), with how often it does so."""
    uses: dict[str, int] = {}
    others = []
    for node in tree:
        name = _json_name(node) if isinstance(node, mustache._Section) else ""
        if name.isidentifier():
            uses[name] = uses.get(name, 0) + 1
        else:
            others.append(node)
    elsewhere = mustache.referenced_names(others)
    return {name: count for name, count in uses.items() if name not in elsewhere}


def render_around_vectors(
    tree: list[Any], params: dict[str, Any], vectors: dict[str, int]
) -> Any | None:
    """The template rendered with ``params`` and parsed, its :func:`json_only_params`
    ``vectors`` (name: uses) printed as markers and replaced by copies of the params after
    parsing, instead of hundreds of floats printed and read back; None when no vector
    param is set or this is not what rendering gives (a marker parsed other than as a
    whole array, or JSON that does not parse: the plain render says why)."""
    arrays = {name: params[name] for name in vectors if is_vector(params.get(name))}
    if not arrays:
        return None
    marked = {**params, **{name: [_VECTOR + name] for name in arrays}}
    try:
        body = codec.loads(mustache.render(tree, marked))
    except OpenSearchError:
        return None
    if _count(body) != (0, sum(vectors[name] for name in arrays)):
        return None
    return _filled(body, {}, arrays)


def is_vector(value: Any) -> bool:
    """A list of finite numbers: what prints as JSON and parses back unchanged."""
    if not isinstance(value, list) or not set(map(type, value)) <= {int, float}:
        return False
    try:
        return all(map(math.isfinite, value))
    except OverflowError:  # an integer too big for a double: print and parse it
        return False


def _count(body: Any) -> tuple[int, int] | None:
    """(text markers, vector markers) in ``body``; None if a marker is in a key."""
    children: Iterable[Any]
    if isinstance(body, dict):
        if any(_TEXT in key or _VECTOR in key for key in body):
            return None
        children = body.values()
    elif isinstance(body, list):
        if _vector_slot(body) is not None:
            return 0, 1
        children = body
    elif isinstance(body, str):
        return (len(_TEXT_SLOT.findall(body)), 0) if _VECTOR not in body else None
    else:
        return 0, 0
    texts, vectors = 0, 0
    for value in children:
        found = _count(value)
        if found is None:
            return None
        texts, vectors = texts + found[0], vectors + found[1]
    return texts, vectors


def _vector_slot(body: list[Any]) -> str | None:
    if len(body) == 1 and isinstance(body[0], str) and body[0].startswith(_VECTOR):
        return body[0][len(_VECTOR) :]
    return None


def _filled(body: Any, texts: dict[str, str], arrays: dict[str, list[Any]]) -> Any:
    """A copy of ``body`` (every container new) with the markers replaced."""
    if isinstance(body, dict):
        return {key: _filled(value, texts, arrays) for key, value in body.items()}
    if isinstance(body, list):
        name = _vector_slot(body)
        if name is not None:
            return list(arrays[name])
        return [_filled(value, texts, arrays) for value in body]
    if isinstance(body, str) and _TEXT in body:
        return _TEXT_SLOT.sub(lambda m: texts[m.group(1)], body)
    return body
