"""Compiled loops (numba) for the few places where numpy's whole-array steps cost more
than the work: a tree ensemble over a window, a few hundred look-ups in a posting list.

:func:`compiled` is ``numba.njit`` with numba's on-disk cache, so a process loads the
machine code instead of compiling it (about a second per function and argument types).
Numba keeps the cache in ``__pycache__`` beside the source, or in the user's cache
directory when the package is read-only (``NUMBA_CACHE_DIR`` overrides both); with
neither writable it refuses to cache, and the function is then compiled once per
process instead. Concurrent writers (pytest-xdist workers, several engines) are safe:
numba replaces cache files atomically. Importing numba takes about half a second, so it
happens at a compiled function's first call, not when the engine is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Compiled:
    """A function compiled by numba at its first call."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self._jitted: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self._jitted is None:
            self._jitted = _jit(self.function)
        return self._jitted(*args)


def compiled(function: Callable[..., Any]) -> Compiled:
    """``function``, compiled on first call (per argument types), cached on disk if possible."""
    return Compiled(function)


def _jit(function: Callable[..., Any]) -> Callable[..., Any]:
    import numba

    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(nogil=True)(function)
