"""``_source`` filtering: includes/excludes with wildcards over object paths.

Semantics follow OpenSearch's XContentMapValues.filter: a pattern matches a full path
(``user.name``) or a path prefix (``user`` keeps the whole object); ``*`` matches within
and across path segments; excludes win over includes.
"""

from __future__ import annotations

import fnmatch
from functools import lru_cache
from typing import Any

from .errors import IllegalArgumentError


def parse_spec(spec: Any) -> tuple[bool, list[str], list[str]]:
    """(fetch, includes, excludes) from a ``_source`` request value."""
    if spec is None or spec is True:
        return True, [], []
    if spec is False:
        return False, [], []
    if isinstance(spec, str):
        if spec.lower() in ("true", ""):
            return True, [], []
        if spec.lower() == "false":
            return False, [], []
        return True, [s.strip() for s in spec.split(",") if s.strip()], []
    if isinstance(spec, list):
        return True, [str(s) for s in spec], []
    if isinstance(spec, dict):
        unknown = set(spec) - {"includes", "excludes", "include", "exclude"}
        if unknown:
            raise IllegalArgumentError(
                f"Expected one of [includes, excludes] in [_source] but found [{sorted(unknown)[0]}]"
            )
        inc: Any = spec.get("includes", spec.get("include")) or []
        exc: Any = spec.get("excludes", spec.get("exclude")) or []
        return (
            True,
            [inc] if isinstance(inc, str) else list(inc),
            [exc] if isinstance(exc, str) else list(exc),
        )
    raise IllegalArgumentError(f"Unknown key for a {type(spec).__name__} in [_source].")


def from_params(params: dict[str, str], body_spec: Any = None) -> tuple[bool, list[str], list[str]]:
    """Combine the ``_source``/``_source_includes``/``_source_excludes`` URL params with a body spec."""
    fetch, includes, excludes = parse_spec(params.get("_source", body_spec))
    if "_source_includes" in params:
        includes = [s for s in params["_source_includes"].split(",") if s]
        fetch = True
    if "_source_excludes" in params:
        excludes = [s for s in params["_source_excludes"].split(",") if s]
    return fetch, includes, excludes


def filter_source(
    source: dict[str, Any], includes: list[str], excludes: list[str]
) -> dict[str, Any]:
    if not includes and not excludes:
        return source
    return _filter_map(source, "", tuple(includes), tuple(excludes))


# A fetch phase asks the same (path, patterns) questions for every hit, and the answers
# are pure functions of their arguments: memoised, a hit costs dict lookups, not fnmatch.
@lru_cache(maxsize=65536)
def is_excluded(path: str, excludes: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in excludes)


@lru_cache(maxsize=65536)
def _included(path: str, includes: tuple[str, ...]) -> tuple[bool, bool]:
    """(fully included, may have included descendants)."""
    if not includes:
        return True, True
    full = any(fnmatch.fnmatchcase(path, p) for p in includes)
    if full:
        return True, True
    partial = any(_prefix_could_match(path, p) for p in includes)
    return False, partial


def _prefix_could_match(path: str, pattern: str) -> bool:
    if pattern.startswith(path + "."):
        return True
    if "*" in pattern:
        head = pattern.split("*", 1)[0]
        probe = path + "."
        return probe.startswith(head) or head.startswith(probe)
    return False


def _filter_map(
    node: dict[str, Any], prefix: str, includes: tuple[str, ...], excludes: tuple[str, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if is_excluded(path, excludes):
            continue
        full, partial = _included(path, includes)
        if full:
            if isinstance(value, dict) and excludes:
                out[key] = _filter_map(value, path, (), excludes)
            elif isinstance(value, list) and excludes:
                out[key] = [
                    _filter_map(v, path, (), excludes) if isinstance(v, dict) else v for v in value
                ]
            else:
                out[key] = value
        elif partial:
            if isinstance(value, dict):
                sub = _filter_map(value, path, includes, excludes)
                if sub:
                    out[key] = sub
            elif isinstance(value, list):
                items = [
                    _filter_map(v, path, includes, excludes) for v in value if isinstance(v, dict)
                ]
                items = [i for i in items if i]
                if items:
                    out[key] = items
    return out
