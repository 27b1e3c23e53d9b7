"""The REST route table: (method, path template) -> handler.

Routes are matched segment by segment; literal segments win over ``{param}`` segments so
that ``/_search/template`` is never mistaken for ``/{index}/_search``. A path that matches a
route under another method answers 405 with OpenSearch's wording; a path that matches no
route answers 400 "no handler found", as OpenSearch does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .codec import loads_object
from .errors import IllegalArgumentError


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: bytes | None
    path_params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return loads_object(self.body)

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean query parameter: present-and-empty means true, as in OpenSearch."""
        if name not in self.params:
            return default
        value = str(self.params[name]).lower()
        if value in ("", "true"):
            return True
        if value == "false":
            return False
        raise IllegalArgumentError(
            f"Failed to parse value [{self.params[name]}] as only [true] or [false] are allowed."
        )

    def int_param(self, name: str, default: int | None = None) -> int | None:
        if name not in self.params:
            return default
        try:
            return int(self.params[name])
        except ValueError:
            raise IllegalArgumentError(
                f"Failed to parse int parameter [{name}] with value [{self.params[name]}]"
            ) from None


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


class _Node:
    __slots__ = ("handlers", "literal", "param", "param_name")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.param_name: str | None = None
        self.handlers: dict[str, Handler] = {}


class Router:
    def __init__(self) -> None:
        self._root = _Node()

    def add(self, methods: str, template: str, handler: Handler) -> None:
        node = self._root
        for seg in _segments(template):
            if seg.startswith("{") and seg.endswith("}"):
                name = seg[1:-1]
                if node.param is None:
                    node.param = _Node()
                    node.param_name = name
                elif node.param_name != name:
                    raise ValueError(f"conflicting parameter names at {template}")
                node = node.param
            else:
                node = node.literal.setdefault(seg, _Node())
        for method in methods.split(","):
            node.handlers[method.strip().upper()] = handler

    def match(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], list[str]]:
        """Return (handler, path params, allowed methods when the method does not match)."""
        segs = [unquote(s) for s in _segments(path)]
        node = self._find(self._root, segs, 0, {})
        if node is None:
            return None, {}, []
        target, params = node
        handler = target.handlers.get(method)
        if handler is None and method == "HEAD":
            handler = target.handlers.get("GET")
        if handler is None:
            return None, params, sorted(target.handlers)
        return handler, params, []

    def _find(
        self, node: _Node, segs: list[str], i: int, params: dict[str, str]
    ) -> tuple[_Node, dict[str, str]] | None:
        if i == len(segs):
            return (node, params) if node.handlers else None
        seg = segs[i]
        child = node.literal.get(seg)
        if child is not None:
            found = self._find(child, segs, i + 1, params)
            if found is not None:
                return found
        if node.param is not None and node.param_name is not None:
            return self._find(node.param, segs, i + 1, {**params, node.param_name: seg})
        return None


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]
