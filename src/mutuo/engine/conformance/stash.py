"""The stash (values saved by ``set``) and object paths into responses.

``$name`` as a whole value is replaced by the stashed object; ``${name}`` inside a string
is replaced by its text; map keys and path segments are substituted too (the runner
features ``stash_in_key`` and ``stash_in_path``). ``$body`` is the last response body.
Paths are dot-separated (``hits.hits.0._id``), ``\\.`` escapes a dot inside a key, and
``_arbitrary_key_`` picks any key of a map.
"""

from __future__ import annotations

import re
from typing import Any

_EXTENDED_KEY = re.compile(r"\$\{([^}]+)\}")
ARBITRARY_KEY = "_arbitrary_key_"


class StashError(ValueError):
    """A path or stash reference that cannot be resolved."""


class Stash:
    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def clear(self) -> None:
        self._values.clear()

    def put(self, key: str, value: Any) -> None:
        self._values[key] = value

    @staticmethod
    def holds_reference(value: Any) -> bool:
        if not isinstance(value, str) or not value:
            return False
        return value.startswith("$") or _EXTENDED_KEY.search(value) is not None

    def resolve(self, value: str) -> Any:
        """``$key`` -> the stashed object; ``a${key}b`` -> text with the value spliced in."""
        if value.startswith("$") and not value.startswith("${"):
            return self._unstash(value[1:])
        return _EXTENDED_KEY.sub(lambda m: to_java_string(self._unstash(m.group(1))), value)

    def substitute(self, value: Any) -> Any:
        """Replace every stash reference inside a value (keys of maps included)."""
        if isinstance(value, dict):
            return {
                (self.resolve(k) if self.holds_reference(k) else k): self.substitute(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        if self.holds_reference(value):
            return self.resolve(value)
        return value

    def _unstash(self, key: str) -> Any:
        value = evaluate(self._values, key, self)
        if value is None:
            raise StashError(f"stashed value not found for key [{key}]")
        return value


def split_path(path: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escape = False
    for char in path:
        if char == "\\":
            escape = True
            continue
        if char == "." and not escape:
            if current:
                parts.append("".join(current))
                current = []
            continue
        escape = False
        current.append(char)
    if current:
        parts.append("".join(current))
    return parts


def evaluate(document: Any, path: str, stash: Stash | None = None) -> Any:
    """The value at ``path`` in ``document``; ``None`` when a level is missing."""
    node = document
    for part in split_path(path):
        if stash is not None and stash.holds_reference(part):
            part = str(stash.resolve(part))
        node = _step(node, part)
        if node is None:
            return None
    return node


def _step(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        if key == ARBITRARY_KEY:
            if not node:
                raise StashError(f"requested [{key}] but the map was empty")
            return next(iter(node))
        return node.get(key)
    if isinstance(node, list):
        try:
            return node[int(key)]
        except ValueError:
            raise StashError(f"element was a list, but [{key}] was not numeric") from None
        except IndexError:
            raise StashError(
                f"element was a list with {len(node)} elements, but [{key}] was out of bounds"
            ) from None
    raise StashError(f"no object found for [{key}] within a {type(node).__name__}")


def to_java_string(value: Any) -> str:
    """A value's text as Java's ``toString`` prints parsed JSON (maps as ``{k=v}``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={to_java_string(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_java_string(v) for v in value) + "]"
    return str(value)
