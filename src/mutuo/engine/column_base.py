"""What every column is built from: amortised arrays, the column protocol, and the term
dictionary of keyword and text columns (:mod:`.columns` describes the columns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class Growable:
    """A numpy array with amortised appends: ``view()`` is the first ``n`` rows."""

    __slots__ = ("_data", "fill", "n")

    def __init__(self, dtype: Any, fill: Any = 0, width: int | None = None) -> None:
        shape = (16,) if width is None else (16, width)
        self._data = np.full(shape, fill, dtype=dtype)
        self.fill = fill
        self.n = 0

    def resize(self, n: int) -> None:
        """Make rows [0, n) addressable; new rows hold ``fill``."""
        if n > len(self._data):
            cap = max(n, 2 * len(self._data))
            grown = np.full((cap, *self._data.shape[1:]), self.fill, dtype=self._data.dtype)
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        elif n < self.n:
            self._data[n : self.n] = self.fill
        self.n = n

    def view(self) -> np.ndarray:
        return self._data[: self.n]

    def extend(self, values: np.ndarray) -> int:
        """Append rows; returns where they start."""
        start = self.n
        self.resize(start + len(values))
        self._data[start : self.n] = values
        return start

    def compact(self, keep: np.ndarray) -> None:
        kept = self._data[: self.n][keep]
        self.replace(kept)

    def replace(self, values: np.ndarray) -> None:
        """Hold exactly ``values`` (a fresh array, no spare rows beyond the minimum)."""
        self._data = np.full(
            (max(16, len(values)), *self._data.shape[1:]), self.fill, dtype=self._data.dtype
        )
        self._data[: len(values)] = values
        self.n = len(values)


class Column:
    """Base protocol: ``add_batch`` at refresh, ``delete`` when an ordinal dies."""

    def resize(self, maxdoc: int) -> None:
        raise NotImplementedError

    def add_batch(self, ords: np.ndarray, values: Sequence[list[Any]]) -> None:
        raise NotImplementedError

    def values_at(self, ords: np.ndarray) -> list[list[Any]]:
        """What ``add_batch`` was given for these ordinals, up to what it discards (the
        order of repeated keyword values): feeding it back indexes a new ordinal exactly
        like the old one. For partial updates that leave a field unchanged."""
        raise NotImplementedError

    def copy_batch(self, news: np.ndarray, olds: np.ndarray) -> None:
        """Index each ordinal of ``news`` (ascending, all new) exactly as the matching one
        of ``olds`` is: ``add_batch(news, values_at(olds))`` without the round trip."""
        raise NotImplementedError

    def add_and_copy_batch(
        self, ords: list[int], values: list[list[Any]], news: np.ndarray, olds: np.ndarray
    ) -> None:
        """``add_batch(ords, values)`` and ``copy_batch(news, olds)`` in one refresh whose
        new ordinals of both kinds interleave (a field some updates changed and others
        kept): here the copied values are read back and everything is added in ordinal
        order, which multi-valued entries and postings need."""
        every = ords + news.tolist()
        vals = values + self.values_at(olds)
        order = sorted(range(len(every)), key=every.__getitem__)
        self.add_batch(
            np.asarray([every[i] for i in order], dtype=np.int64), [vals[i] for i in order]
        )

    def delete(self, ords: np.ndarray) -> None:
        """Ordinals leaving the live set (statistics over live docs follow)."""

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        raise NotImplementedError

    def exists(self) -> np.ndarray:
        raise NotImplementedError


class TermDictionary:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self._sorted: tuple[int, np.ndarray, np.ndarray] | None = None

    def intern(self, tokens: list[str]) -> np.ndarray:
        ids = self.ids
        out = [ids.setdefault(t, len(ids)) for t in tokens]
        if len(ids) > len(self.terms):
            self.terms.extend(list(ids)[len(self.terms) :])
        return np.asarray(out, dtype=np.int64)

    def sorted_order(self) -> tuple[np.ndarray, np.ndarray]:
        """(term ids in byte order of the terms, rank of each term id)."""
        if self._sorted is None or self._sorted[0] != len(self.terms):
            order = np.array(
                sorted(range(len(self.terms)), key=lambda i: self.terms[i].encode()), dtype=np.int64
            )
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            self._sorted = (len(self.terms), order, rank)
        return self._sorted[1], self._sorted[2]
