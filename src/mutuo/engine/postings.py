"""Per-term posting arrays that grow at amortised cost.

A refresh appends the new ordinals of each term it touches. Concatenating onto the
term's array copied the whole list each time: a frequent term's postings were copied
again at every refresh, which made a refresh of a few hundred partial updates cost as
much as the whole index. Here each term keeps spare capacity, and ``arrays[tid]`` is a
view of exactly its entries so far: readers index the list as before, and a view handed
out earlier never changes (appends write past its end, or into a new buffer).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class PostingLists:
    """``arrays[tid]``: the entries of term ``tid`` (docs, freqs or positions), in order."""

    __slots__ = ("_spare", "arrays", "dtype")

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self.arrays: list[np.ndarray] = []
        self._spare: dict[int, np.ndarray] = {}  # tid -> buffer whose head is arrays[tid]

    def cover(self, n_terms: int) -> None:
        """Make term ids [0, n_terms) addressable (new terms: empty)."""
        empty = np.empty(0, dtype=self.dtype)
        self.arrays.extend([empty] * (n_terms - len(self.arrays)))

    def append(self, tid: int, values: np.ndarray) -> None:
        current = self.arrays[tid]
        n = len(current)
        end = n + len(values)
        buffer = self._spare.get(tid)
        if buffer is None or end > len(buffer):
            buffer = np.empty(max(8, 2 * end), dtype=self.dtype)
            buffer[:n] = current
            self._spare[tid] = buffer
        buffer[n:end] = values
        self.arrays[tid] = buffer[:end]

    def replace(self, arrays: list[np.ndarray]) -> None:
        """Hold these arrays (a compaction's), without spare capacity."""
        self.arrays = arrays
        self._spare = {}

    def __getstate__(self) -> dict[str, Any]:
        # views pickle as their own entries only: the spare capacity is not persisted
        return {"dtype": self.dtype, "arrays": self.arrays}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.dtype = state["dtype"]
        self.arrays = state["arrays"]
        self._spare = {}


def append_grouped(
    lists: PostingLists, term_ids: np.ndarray, values: np.ndarray, bounds: np.ndarray | None = None
) -> None:
    """Append ``values`` to the lists of ``term_ids`` (sorted by term: each run of one
    term id is one append). ``bounds``: where each run's values start and end in
    ``values`` when they are not one per term id (positions: ``freq`` per posting)."""
    if not len(term_ids):
        return
    starts = np.flatnonzero(np.r_[True, term_ids[1:] != term_ids[:-1]])
    ends = np.r_[starts[1:], len(term_ids)]
    tids = term_ids[starts].tolist()
    if bounds is None:
        lo, hi = starts.tolist(), ends.tolist()
    else:
        lo, hi = bounds[starts].tolist(), bounds[ends].tolist()
    append = lists.append
    for tid, s, e in zip(tids, lo, hi, strict=True):
        append(tid, values[s:e])


def remap_lists(
    arrays: list[np.ndarray], remap: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Every term's sorted ordinals renumbered by a compaction's ``remap`` (-1: dropped),
    in one pass over all of them rather than one numpy call per term: (the new arrays,
    which entries of the concatenated old arrays were kept, the old arrays' lengths)."""
    lengths = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    if not len(arrays) or not lengths.sum():
        return [np.empty(0, dtype=np.int32) for _ in arrays], np.empty(0, bool), lengths
    renamed = remap[np.concatenate(arrays)]
    kept = renamed >= 0
    owners = np.repeat(np.arange(len(arrays)), lengths)
    counts = np.bincount(owners[kept], minlength=len(arrays))
    return split(renamed[kept].astype(np.int32), counts), kept, lengths


def split(flat: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """``flat`` cut into consecutive pieces of ``counts`` entries (views, by slicing:
    ``np.split`` costs several numpy calls per piece, a compaction has one per term)."""
    ends = np.cumsum(counts).tolist()
    starts = [0, *ends[:-1]] if ends else []
    return [flat[start:end] for start, end in zip(starts, ends, strict=True)]
