"""Columnar in-memory index structures, one column per concrete field.

Documents get dense ordinals (0..maxdoc-1) in indexing order, like Lucene doc ids in a
single segment; an update appends a new ordinal and masks the old one, and
:meth:`Column.compact` renumbers everything when deleted ordinals pile up. Every
structure is a numpy array or a list of numpy arrays (postings), built a refresh batch
at a time with vectorised operations, so that queries never loop over documents in
Python.

* :class:`KeywordColumn` - term dictionary, postings (sorted ordinals), per-doc term id
  (first value) plus the extra values of multi-valued docs.
* :class:`TextColumn` - term dictionary, postings with frequencies and positions, field
  lengths (for BM25 norms and statistics over live docs).
* :class:`NumericColumn` - int64 or float64 values (dates in epoch millis, booleans as
  0/1), min and max per doc, and all values of multi-valued docs.
* :class:`GeoColumn` - latitude and longitude arrays.
* :class:`VectorColumn` - a float32 matrix (the k-NN structures live in ``vectors``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .similarity import encode_lengths


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

    def compact(self, keep: np.ndarray) -> None:
        kept = self._data[: self.n][keep]
        self._data = np.full(
            (max(16, len(kept)), *self._data.shape[1:]), self.fill, dtype=self._data.dtype
        )
        self._data[: len(kept)] = kept
        self.n = len(kept)


def _remap_sorted(docs: np.ndarray, remap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    new = remap[docs]
    keep = new >= 0
    return new[keep], keep


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

    def delete(self, ords: np.ndarray) -> None:
        """Ordinals leaving the live set (statistics over live docs follow)."""

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        raise NotImplementedError

    def exists(self) -> np.ndarray:
        raise NotImplementedError


class _TermDictionary:
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


class KeywordColumn(Column):
    def __init__(self) -> None:
        self.dictionary = _TermDictionary()
        self.postings: list[np.ndarray] = []
        self.first = Growable(np.int64, -1)  # term id of the first value, -1 = none
        self.multi: dict[int, list[int]] = {}  # ordinal -> all distinct term ids (len > 1)

    @property
    def terms(self) -> list[str]:
        return self.dictionary.terms

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
        while len(self.postings) < len(self.dictionary.terms):
            self.postings.append(np.empty(0, dtype=np.int32))
        if len(owner_arr):
            starts = np.flatnonzero(np.r_[True, owner_arr[1:] != owner_arr[:-1]])
            self.first.view()[owner_arr[starts]] = term_ids[starts]
            for ordinal, lo, hi in multi_slices:
                self.multi[ordinal] = term_ids[lo:hi].tolist()
        _append_postings(self.postings, term_ids, owner_arr)

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
        if self.multi:
            for new, old in zip(news.tolist(), olds.tolist(), strict=True):
                many = self.multi.get(old)
                if many is not None:
                    self.multi[new] = list(many)
                    term_ids.append(np.asarray(many[1:], dtype=np.int64))
                    owners.append(np.full(len(many) - 1, new, dtype=np.int64))
        _append_postings(self.postings, np.concatenate(term_ids), np.concatenate(owners))

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        self.postings = [_remap_sorted(p, remap)[0].astype(np.int32) for p in self.postings]
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


class TextColumn(Column):
    def __init__(self, analyzer: Callable[[str], list[str]]) -> None:
        self.analyzer = analyzer
        self.dictionary = _TermDictionary()
        self.post_docs: list[np.ndarray] = []
        self.post_freqs: list[np.ndarray] = []
        self.post_positions: list[np.ndarray] = []
        self.lengths = Growable(np.int32, 0)
        self._norms: np.ndarray | None = None
        self.doc_count = 0  # live docs with at least one token
        self.sum_ttf = 0  # total tokens over live docs

    @property
    def terms(self) -> list[str]:
        return self.dictionary.terms

    def resize(self, maxdoc: int) -> None:
        self.lengths.resize(maxdoc)
        self._norms = None

    def add_batch(
        self, ords: np.ndarray, values: Sequence[list[Any]], position_gap: int = 100
    ) -> None:
        tokens: list[str] = []
        owners: list[int] = []
        positions: list[int] = []
        lengths = self.lengths.view()
        for ordinal, vals in zip(ords.tolist(), values, strict=True):
            pos = 0
            count = 0
            for i, text in enumerate(vals):
                toks = self.analyzer(text)
                if i:
                    pos += position_gap
                tokens.extend(toks)
                positions.extend(range(pos, pos + len(toks)))
                owners.extend([ordinal] * len(toks))
                pos += len(toks)
                count += len(toks)
            lengths[ordinal] = count
            if count:
                self.doc_count += 1
                self.sum_ttf += count
        self._norms = None
        term_ids = self.dictionary.intern(tokens)
        while len(self.post_docs) < len(self.dictionary.terms):
            self.post_docs.append(np.empty(0, dtype=np.int32))
            self.post_freqs.append(np.empty(0, dtype=np.int32))
            self.post_positions.append(np.empty(0, dtype=np.int32))
        if not len(term_ids):
            return
        owner_arr = np.asarray(owners, dtype=np.int64)
        pos_arr = np.asarray(positions, dtype=np.int32)
        order = np.lexsort((pos_arr, owner_arr, term_ids))
        t, d, p = term_ids[order], owner_arr[order], pos_arr[order]
        # one posting per (term, doc); its freq is the run length
        new_pair = np.r_[True, (t[1:] != t[:-1]) | (d[1:] != d[:-1])]
        pair_starts = np.flatnonzero(new_pair)
        freqs = np.diff(np.r_[pair_starts, len(t)]).astype(np.int32)
        pair_terms = t[pair_starts]
        pair_docs = d[pair_starts].astype(np.int32)
        term_starts = np.flatnonzero(np.r_[True, pair_terms[1:] != pair_terms[:-1]])
        term_ends = np.r_[term_starts[1:], len(pair_terms)]
        pos_bounds = np.r_[pair_starts, len(t)]
        for s, e in zip(term_starts.tolist(), term_ends.tolist(), strict=True):
            tid = int(pair_terms[s])
            self.post_docs[tid] = np.concatenate((self.post_docs[tid], pair_docs[s:e]))
            self.post_freqs[tid] = np.concatenate((self.post_freqs[tid], freqs[s:e]))
            self.post_positions[tid] = np.concatenate(
                (self.post_positions[tid], p[pos_bounds[s] : pos_bounds[e]])
            )

    def delete(self, ords: np.ndarray) -> None:
        lens = self.lengths.view()[ords]
        self.doc_count -= int(np.count_nonzero(lens))
        self.sum_ttf -= int(lens.sum())

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        for tid in range(len(self.post_docs)):
            docs, kept = _remap_sorted(self.post_docs[tid], remap)
            freqs = self.post_freqs[tid]
            self.post_positions[tid] = self.post_positions[tid][np.repeat(kept, freqs)]
            self.post_freqs[tid] = freqs[kept]
            self.post_docs[tid] = docs.astype(np.int32)
        self.lengths.compact(keep)
        self._norms = None

    def exists(self) -> np.ndarray:
        return self.lengths.view() > 0

    def norms(self) -> np.ndarray:
        if self._norms is None or len(self._norms) != self.lengths.n:
            self._norms = encode_lengths(self.lengths.view())
        return self._norms

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        tid = self.dictionary.ids.get(term)
        if tid is None:
            empty = np.empty(0, dtype=np.int32)
            return empty, empty
        return self.post_docs[tid], self.post_freqs[tid]

    def positions(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(docs, offsets into positions, positions) of one term."""
        tid = self.dictionary.ids.get(term)
        if tid is None:
            empty = np.empty(0, dtype=np.int32)
            return empty, np.zeros(1, dtype=np.int64), empty
        freqs = self.post_freqs[tid]
        offsets = np.r_[0, np.cumsum(freqs, dtype=np.int64)]
        return self.post_docs[tid], offsets, self.post_positions[tid]


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


def _append_postings(postings: list[np.ndarray], term_ids: np.ndarray, owners: np.ndarray) -> None:
    """Append (term, ordinal) pairs of one batch to sorted per-term posting arrays."""
    if not len(term_ids):
        return
    order = np.lexsort((owners, term_ids))
    t, d = term_ids[order], owners[order].astype(np.int32)
    starts = np.flatnonzero(np.r_[True, t[1:] != t[:-1]])
    ends = np.r_[starts[1:], len(t)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        tid = int(t[s])
        postings[tid] = np.concatenate((postings[tid], d[s:e]))
