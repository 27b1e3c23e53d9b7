"""Score functions of ``function_score``: one small module per function, found by name.

A function computes, vectorised, a float64 factor for the documents the query matched
(``values``) and explains one document (``explain``). ``weight`` multiplies a function's
value (``WeightFactorFunction``); a function entry with only ``weight`` is the constant
1.0 times that weight, as in OpenSearch.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from ...errors import ParsingError
from ...explanation import Explanation

if TYPE_CHECKING:
    from ...search_context import SearchContext


class ScoreFunction:
    """Base of every score function."""

    type_name: ClassVar[str] = ""

    def __init__(self) -> None:
        self.name: str | None = None  # the function's ``_name``

    @classmethod
    def parse(cls, body: Any) -> ScoreFunction:
        raise NotImplementedError

    def values(self, ctx: SearchContext, ordinals: np.ndarray) -> np.ndarray:
        """The function's value for each of ``ordinals`` (float64)."""
        raise NotImplementedError

    def explain(self, ctx: SearchContext, ordinal: int) -> Explanation:
        raise NotImplementedError

    def name_func(self) -> str:
        """``(_name: x)`` or nothing (OpenSearch's Functions.nameOrEmptyFunc)."""
        return f"(_name: {self.name})" if self.name else ""

    def name_arg(self) -> str:
        """``, _name: x`` or nothing (Functions.nameOrEmptyArg)."""
        return f", _name: {self.name}" if self.name else ""


class ScoreOne(ScoreFunction):
    """The function of an entry that only has a ``weight``."""

    type_name = "weight"

    def values(self, ctx: SearchContext, ordinals: np.ndarray) -> np.ndarray:
        return np.ones(len(ordinals), dtype=np.float64)

    def explain(self, ctx: SearchContext, ordinal: int) -> Explanation:
        return Explanation(1.0, "constant score 1.0 - no function provided")


FUNCTION_TYPES: dict[str, type[ScoreFunction]] = {}
F = TypeVar("F", bound=type[ScoreFunction])


def register_function(*names: str) -> Callable[[F], F]:
    def wrap(cls: F) -> F:
        cls.type_name = names[0]
        for name in names:
            FUNCTION_TYPES[name] = cls
        return cls

    return wrap


def parse_function(name: str, body: Any) -> ScoreFunction:
    _load_all()
    cls = FUNCTION_TYPES.get(name)
    if cls is None:
        if name == "script_score":
            raise ParsingError(
                "[function_score] [script_score] functions need scripts, which the embedded engine does not support"
            )
        raise ParsingError(
            f"unknown field [{name}]: [function_score] knows the functions {sorted(FUNCTION_TYPES)}"
        )
    return cls.parse(body)


def is_function(name: str) -> bool:
    _load_all()
    return name in FUNCTION_TYPES or name == "script_score"


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True
