"""REST API specifications (``rest-api-spec/api/*.json``) and building requests from them.

A YAML ``do`` step names an API and gives its arguments; the spec says which arguments
are path parts and which are query parameters. The path chosen is the one whose parts
are all provided, preferring the one that uses the most of them (the Java runner picks
randomly among equal candidates; this runner takes the first non-deprecated one, so runs
are repeatable). Lists are comma-joined and scalars sent as text, as the Java runner does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

# accepted by every API (``_common.json``) or consumed by the client itself
GLOBAL_PARAMS = {"pretty", "human", "error_trace", "filter_path", "source", "source_content_type"}
CLIENT_PARAMS = {"ignore"}
_PART = re.compile(r"\{(\w+)\}")


class ParamError(ValueError):
    """A client-side validation error (what ``catch: param`` expects)."""


@dataclass(frozen=True)
class ApiPath:
    template: str
    methods: tuple[str, ...]
    parts: frozenset[str]
    deprecated: bool


@dataclass
class HttpRequest:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ignore: tuple[int, ...] = ()


@dataclass(frozen=True)
class ApiSpec:
    name: str
    paths: tuple[ApiPath, ...]
    params: frozenset[str]
    bulk_body: bool

    @property
    def parts(self) -> frozenset[str]:
        return frozenset().union(*(p.parts for p in self.paths))

    def build(self, args: dict[str, Any], headers: dict[str, str] | None = None) -> HttpRequest:
        """The HTTP request for these arguments (``body`` and ``ignore`` included)."""
        args = dict(args)
        body = args.pop("body", None)
        ignore = _ignore_codes(args.pop("ignore", None))
        parts: dict[str, str] = {}
        params: dict[str, str] = {}
        for key, value in args.items():
            if key in self.parts:
                parts[key] = to_text(value)
            elif key in self.params or key in GLOBAL_PARAMS:
                params[key] = to_text(value)
            else:
                raise ParamError(f"path/param [{key}] not supported by [{self.name}] api")
        path = self._best_path(set(parts))
        url = path.template
        for part in path.parts:
            url = url.replace("{" + part + "}", quote(parts[part], safe=",*"))
        request = HttpRequest(path.methods[0], url, params, None, dict(headers or {}), ignore)
        if body is not None:
            request.body, content_type = self._serialize(body)
            if not any(k.lower() == "content-type" for k in request.headers):
                request.headers["Content-Type"] = content_type
        return request

    def _best_path(self, provided: set[str]) -> ApiPath:
        candidates = [p for p in self.paths if p.parts <= provided]
        if not candidates:
            raise ParamError(
                f"no path of api [{self.name}] can be built from the parts {sorted(provided)}"
            )
        return min(candidates, key=lambda p: (-len(p.parts), p.deprecated))

    def _serialize(self, body: Any) -> tuple[str, str]:
        documents = _documents(body)
        if self.bulk_body or len(documents) > 1:
            lines = [d if isinstance(d, str) else _dumps(d) for d in documents]
            return "".join(line + "\n" for line in lines), "application/x-ndjson"
        only = documents[0]
        return (only if isinstance(only, str) else _dumps(only)), "application/json"


def _documents(body: Any) -> list[Any]:
    """Bodies as a list of documents: a list is several; a string may hold several."""
    if isinstance(body, list):
        return [_documents(item)[0] if isinstance(item, str) else item for item in body]
    if isinstance(body, str):
        return _split_json(body)
    return [body]


def _split_json(text: str) -> list[Any]:
    """Parse a string holding one or more JSON documents (a literal NDJSON block)."""
    decoder = json.JSONDecoder()
    out: list[Any] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out or [text]
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return [text]  # not JSON: send as written and let the engine judge it
        out.append(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _ignore_codes(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    return tuple(int(v) for v in values)


def to_text(value: Any) -> str:
    """A parameter value as the Java runner sends it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return ",".join(to_text(v) for v in value)
    if isinstance(value, dict):
        return _dumps(value)
    return str(value)


def load_specs(roots: list[Path]) -> dict[str, ApiSpec]:
    """Every ``rest-api-spec/api/*.json`` found under ``roots`` (or beside a test tree)."""
    specs: dict[str, ApiSpec] = {}
    for directory in _api_dirs(roots):
        for path in sorted(directory.glob("*.json")):
            if path.name.startswith("_"):
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            for name, spec in data.items():
                specs.setdefault(name, _parse_spec(name, spec))
    return specs


def _api_dirs(roots: list[Path]) -> list[Path]:
    dirs: list[Path] = []
    for root in roots:
        root = root.resolve()
        base = root if root.is_dir() else root.parent
        dirs.extend(p for p in sorted(base.rglob("api")) if p.parent.name == "rest-api-spec")
        for ancestor in base.parents:  # a path inside .../rest-api-spec/test/...
            if ancestor.name == "rest-api-spec" and (ancestor / "api").is_dir():
                dirs.append(ancestor / "api")
    return list(dict.fromkeys(dirs))


def _parse_spec(name: str, spec: dict[str, Any]) -> ApiSpec:
    url = spec.get("url") or {}
    paths = []
    for entry in url["paths"]:
        if isinstance(entry, str):  # legacy format: "paths": ["/x/{index}"], "methods": [...]
            template, methods, deprecated = entry, spec.get("methods") or ["GET"], False
        else:
            template, methods, deprecated = entry["path"], entry["methods"], "deprecated" in entry
        parts = frozenset(_PART.findall(template))
        paths.append(ApiPath(template, tuple(m.upper() for m in methods), parts, deprecated))
    params = frozenset(set(spec.get("params") or {}) | set(url.get("params") or {}))
    bulk = (spec.get("body") or {}).get("serialize") == "bulk"
    return ApiSpec(name, tuple(paths), params, bulk)
