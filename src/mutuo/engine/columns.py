"""Columnar in-memory index structures, one column per concrete field.

Documents get dense ordinals (0..maxdoc-1) in indexing order, like Lucene doc ids in a
single segment; an update appends a new ordinal and masks the old one, and
:meth:`Column.compact` renumbers everything when deleted ordinals pile up. Every
structure is a numpy array or a list of numpy arrays (postings), built a refresh batch
at a time with vectorised operations, so that queries never loop over documents in
Python.

* :class:`KeywordColumn` - term dictionary, postings (sorted ordinals), per-doc term id
  (first value) plus the extra values of multi-valued docs.
* :class:`TextColumn` (in :mod:`.text_column`) - term dictionary, postings with
  frequencies and positions, field lengths, and each document's analysed tokens.
* :class:`NumericColumn` - int64 or float64 values (dates in epoch millis, booleans as
  0/1), min and max per doc, and all values of multi-valued docs.
* :class:`GeoColumn` - latitude and longitude arrays.
* :class:`VectorColumn` - a float32 matrix (the k-NN structures live in ``vectors``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import chain, islice
from typing import Any

import numpy as np

from .column_base import Column, Growable, TermDictionary
from .postings import PostingLists, append_grouped, remap_lists
from .text_column import TextColumn

__all__ = [
    "Column",
    "GeoColumn",
    "Growable",
    "KeywordColumn",
    "NumericColumn",
    "TextColumn",
    "VectorColumn",
]


class KeywordColumn(Column):
    def __init__(self) -> None:
        self.dictionary = TermDictionary()
        self._postings = PostingLists(np.int32)
        self.first = Growable(np.int64, -1)  # term id of the first value, -1 = none
        self.multi: dict[int, list[int]] = {}  # ordinal -> all distinct term ids (len > 1)

    @property
    def terms(self) -> list[str]:
        return self.dictionary.terms

    @property
    def postings(self) -> list[np.ndarray]:
        """The sorted ordinals of each term id."""
        return self._postings.arrays

    def resize(self, maxdoc: int) -> None:
        self.first.resize(maxdoc)

    def add_batch(self, ords: np.ndarray, values: Sequence[list[Any]]) -> None:
        flat: list[str] = []
        owners: list[int] = []
        multi_slices: list[tuple[int, int, int]] = []
        for ordinal, vals in zip(ords.tolist(), values, strict=True):
            if len(vals) == 1:
                flat.append(vals[0])
                owners.append(ordinal)
                continue
            distinct = list(dict.fromkeys(vals))
            if len(distinct) > 1:
                multi_slices.append((ordinal, len(flat), len(flat) + len(distinct)))
            flat.extend(distinct)
            owners.extend([ordinal] * len(distinct))
        term_ids = self.dictionary.intern(flat)
        owner_arr = np.asarray(owners, dtype=np.int64)
        self._postings.cover(len(self.dictionary.terms))
        if len(owner_arr):
            starts = np.flatnonzero(np.r_[True, owner_arr[1:] != owner_arr[:-1]])
            self.first.view()[owner_arr[starts]] = term_ids[starts]
            for ordinal, lo, hi in multi_slices:
                self.multi[ordinal] = term_ids[lo:hi].tolist()
        self._append(term_ids, owner_arr)

    def values_at(self, ords: np.ndarray) -> list[list[Any]]:
        terms, multi = self.dictionary.terms, self.multi
        out: list[list[Any]] = []
        for ordinal, first in zip(ords.tolist(), self.first.view()[ords].tolist(), strict=True):
            many = multi.get(ordinal)
            if many is not None:
                out.append([terms[t] for t in many])
            else:
                out.append([] if first < 0 else [terms[first]])
        return out

    def copy_batch(self, news: np.ndarray, olds: np.ndarray) -> None:
        first = self.first.view()
        firsts = first[olds]
        first[news] = firsts
        single = firsts >= 0
        term_ids, owners = [firsts[single]], [news[single]]
        multi = self.multi
        if multi:
            # the term lists are shared, never changed in place (a write builds new ones)
            copied = [
                (new, many)
                for new, many in zip(news.tolist(), map(multi.get, olds.tolist()), strict=True)
                if many is not None
            ]
            multi.update(copied)
            # the values past the first (which ``first`` holds), all docs at once
            extra = [len(many) - 1 for _, many in copied]
            term_ids.append(
                np.fromiter(
                    chain.from_iterable(islice(many, 1, None) for _, many in copied),
                    np.int64,
                    sum(extra),
                )
            )
            owners.append(np.repeat(np.asarray([new for new, _ in copied], np.int64), extra))
        self._append(np.concatenate(term_ids), np.concatenate(owners))

    def _append(self, term_ids: np.ndarray, owners: np.ndarray) -> None:
        """Append (term, ordinal) pairs of one batch to the sorted posting lists."""
        if not len(term_ids):
            return
        order = np.lexsort((owners, term_ids))
        append_grouped(self._postings, term_ids[order], owners[order].astype(np.int32))

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        self._postings.replace(remap_lists(self.postings, remap)[0])
        self.first.compact(keep)
        self.multi = {int(remap[o]): t for o, t in self.multi.items() if remap[o] >= 0}

    def exists(self) -> np.ndarray:
        return self.first.view() >= 0

    def term_id(self, term: str) -> int | None:
        return self.dictionary.ids.get(term)

    def docs(self, term: str) -> np.ndarray:
        tid = self.dictionary.ids.get(term)
        return self.postings[tid] if tid is not None else np.empty(0, dtype=np.int32)

    def doc_terms(self, ordinal: int) -> list[int]:
        """All term ids of one document (sorted by term for multi-valued docs)."""
        many = self.multi.get(ordinal)
        if many is not None:
            return many
        first = int(self.first.view()[ordinal])
        return [] if first < 0 else [first]

    def sorted_order(self) -> tuple[np.ndarray, np.ndarray]:
        return self.dictionary.sorted_order()

    def rank_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """(min rank, max rank) of each doc's values in term order; -1 where missing."""
        _order, rank = self.sorted_order()
        first = self.first.view()
        lo = np.where(first >= 0, rank[np.maximum(first, 0)] if len(rank) else -1, -1)
        hi = lo.copy()
        for ordinal, tids in self.multi.items():
            ranks = rank[np.asarray(tids)]
            lo[ordinal] = ranks.min()
            hi[ordinal] = ranks.max()
        return lo, hi


class NumericColumn(Column):
    """Numbers, dates (epoch millis) and booleans (0/1)."""

    def __init__(self, integer: bool, unsigned: bool = False) -> None:
        # unsigned_long spans [0, 2^64): it needs uint64, which int64 cannot hold
        self.dtype = np.uint64 if unsigned else np.int64 if integer else np.float64
        self.values = Growable(self.dtype, 0)  # min value of the doc
        self.max_values = Growable(self.dtype, 0)
        self.has = Growable(np.bool_, False)
        self.mv_docs = Growable(np.int32, 0)  # every value of multi-valued docs
        self.mv_values = Growable(self.dtype, 0)

    def resize(self, maxdoc: int) -> None:
        self.values.resize(maxdoc)
        self.max_values.resize(maxdoc)
        self.has.resize(maxdoc)

    def add_batch(self, ords: np.ndarray, values: Sequence[list[Any]]) -> None:
        v, mx, has = self.values.view(), self.max_values.view(), self.has.view()
        for ordinal, vals in zip(ords.tolist(), values, strict=True):
            if not vals:
                continue
            has[ordinal] = True
            if len(vals) == 1:
                v[ordinal] = mx[ordinal] = vals[0]
                continue
            v[ordinal] = min(vals)
            mx[ordinal] = max(vals)
            start = self.mv_docs.n
            self.mv_docs.resize(start + len(vals))
            self.mv_values.resize(start + len(vals))
            self.mv_docs.view()[start:] = ordinal
            self.mv_values.view()[start:] = vals

    def values_at(self, ords: np.ndarray) -> list[list[Any]]:
        many = _multi_values_at(self.mv_docs, ords, self.mv_values)
        has = self.has.view()[ords].tolist()
        single = self.values.view()[ords].tolist()
        return [
            many.get(o) or ([v] if h else [])
            for o, h, v in zip(ords.tolist(), has, single, strict=True)
        ]

    def copy_batch(self, news: np.ndarray, olds: np.ndarray) -> None:
        for arr in (self.values, self.max_values, self.has):
            arr.view()[news] = arr.view()[olds]
        _copy_multi(self.mv_docs, (self.mv_values,), news, olds)

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        for arr in (self.values, self.max_values, self.has):
            arr.compact(keep)
        if self.mv_docs.n:
            new_docs = remap[self.mv_docs.view()]
            kept = new_docs >= 0
            vals = self.mv_values.view()[kept]
            self.mv_docs = Growable(np.int32, 0)
            self.mv_values = Growable(self.dtype, 0)
            self.mv_docs.resize(len(vals))
            self.mv_values.resize(len(vals))
            self.mv_docs.view()[:] = new_docs[kept]
            self.mv_values.view()[:] = vals

    def exists(self) -> np.ndarray:
        return self.has.view()

    def match_any(self, predicate: Callable[[np.ndarray], np.ndarray], maxdoc: int) -> np.ndarray:
        """Docs with at least one value satisfying ``predicate`` (a vectorised test)."""
        has = self.has.view()
        single = has & (self.values.view() == self.max_values.view())
        mask = single & predicate(self.values.view())
        if self.mv_docs.n:
            hits = predicate(self.mv_values.view())
            mask[self.mv_docs.view()[hits]] = True
        return mask

    def all_values(self) -> tuple[np.ndarray, np.ndarray]:
        """(ordinal, value) pairs of every value (aggregations over multi-valued docs)."""
        has = self.has.view()
        single = has & (self.values.view() == self.max_values.view())
        docs = np.flatnonzero(single)
        vals = self.values.view()[docs]
        if self.mv_docs.n:
            docs = np.concatenate((docs, self.mv_docs.view()))
            vals = np.concatenate((vals, self.mv_values.view()))
        return docs, vals


class GeoColumn(Column):
    def __init__(self) -> None:
        self.lat = Growable(np.float64, np.nan)
        self.lon = Growable(np.float64, np.nan)
        self.mv_docs = Growable(np.int32, 0)
        self.mv_lat = Growable(np.float64, 0.0)
        self.mv_lon = Growable(np.float64, 0.0)

    def resize(self, maxdoc: int) -> None:
        self.lat.resize(maxdoc)
        self.lon.resize(maxdoc)

    def add_batch(self, ords: np.ndarray, values: Sequence[list[Any]]) -> None:
        lat, lon = self.lat.view(), self.lon.view()
        for ordinal, points in zip(ords.tolist(), values, strict=True):
            if not points:
                continue
            lat[ordinal], lon[ordinal] = points[0]
            if len(points) > 1:
                start = self.mv_docs.n
                for arr in (self.mv_docs, self.mv_lat, self.mv_lon):
                    arr.resize(start + len(points))
                self.mv_docs.view()[start:] = ordinal
                self.mv_lat.view()[start:] = [p[0] for p in points]
                self.mv_lon.view()[start:] = [p[1] for p in points]

    def values_at(self, ords: np.ndarray) -> list[list[Any]]:
        lats = _multi_values_at(self.mv_docs, ords, self.mv_lat)
        lons = _multi_values_at(self.mv_docs, ords, self.mv_lon)
        out: list[list[Any]] = []
        lat, lon = self.lat.view()[ords].tolist(), self.lon.view()[ords].tolist()
        for ordinal, a, o in zip(ords.tolist(), lat, lon, strict=True):
            if ordinal in lats:
                out.append(list(zip(lats[ordinal], lons[ordinal], strict=True)))
            else:
                out.append([] if math.isnan(a) else [(a, o)])
        return out

    def copy_batch(self, news: np.ndarray, olds: np.ndarray) -> None:
        for arr in (self.lat, self.lon):
            arr.view()[news] = arr.view()[olds]
        _copy_multi(self.mv_docs, (self.mv_lat, self.mv_lon), news, olds)

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        self.lat.compact(keep)
        self.lon.compact(keep)
        if self.mv_docs.n:
            new_docs = remap[self.mv_docs.view()]
            kept = new_docs >= 0
            lat, lon = self.mv_lat.view()[kept], self.mv_lon.view()[kept]
            for arr, vals in (
                (self.mv_docs, new_docs[kept]),
                (self.mv_lat, lat),
                (self.mv_lon, lon),
            ):
                arr.resize(0)
                arr.resize(len(vals))
                arr.view()[:] = vals

    def exists(self) -> np.ndarray:
        return ~np.isnan(self.lat.view())


class VectorColumn(Column):
    """Raw float32 vectors; approximate search structures are kept by ``vectors``."""

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.matrix = Growable(np.float32, 0.0, width=dimension)
        self.has = Growable(np.bool_, False)

    def resize(self, maxdoc: int) -> None:
        self.matrix.resize(maxdoc)
        self.has.resize(maxdoc)

    def add_batch(self, ords: np.ndarray, values: Sequence[list[Any]]) -> None:
        rows = [vals[0] for vals in values if vals]
        targets = ords[[bool(vals) for vals in values]]
        if len(rows):
            self.matrix.view()[targets] = np.stack(rows)
            self.has.view()[targets] = True

    def values_at(self, ords: np.ndarray) -> list[list[Any]]:
        rows = self.matrix.view()[ords]  # a copy: later growth never aliases it
        return [[row] if h else [] for row, h in zip(rows, self.has.view()[ords], strict=True)]

    def copy_batch(self, news: np.ndarray, olds: np.ndarray) -> None:
        for arr in (self.matrix, self.has):
            arr.view()[news] = arr.view()[olds]

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        self.matrix.compact(keep)
        self.has.compact(keep)

    def exists(self) -> np.ndarray:
        return self.has.view()


def _multi_values_at(docs: Growable, ords: np.ndarray, values: Growable) -> dict[int, list[Any]]:
    """The values of the multi-valued entries (``docs``/``values``) of these ordinals, in
    the order they were added."""
    if not docs.n:
        return {}
    hits = np.flatnonzero(np.isin(docs.view(), ords))
    out: dict[int, list[Any]] = {}
    for ordinal, value in zip(
        docs.view()[hits].tolist(), values.view()[hits].tolist(), strict=True
    ):
        out.setdefault(ordinal, []).append(value)
    return out


def _copy_multi(
    docs: Growable, values: tuple[Growable, ...], news: np.ndarray, olds: np.ndarray
) -> None:
    """Append the multi-valued entries of ``olds`` again for ``news`` (ascending), in
    the order ``add_batch`` would have appended them."""
    if not docs.n:
        return
    hits = np.flatnonzero(np.isin(docs.view(), olds))
    if not len(hits):
        return
    order = np.argsort(olds, kind="stable")
    renamed = news[order][np.searchsorted(olds[order], docs.view()[hits])]
    rank = np.argsort(renamed, kind="stable")  # by new ordinal, each doc's values in order
    start = docs.n
    for arr in (docs, *values):
        arr.resize(start + len(hits))
    docs.view()[start:] = renamed[rank]
    for arr in values:
        arr.view()[start:] = arr.view()[hits[rank]]
