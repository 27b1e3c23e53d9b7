"""The column of a ``text`` field: term dictionary, postings with frequencies and
positions, field lengths (BM25 norms and statistics over live docs), and a forward index.

The forward index keeps each ordinal's analysed tokens (term id and position, in token
order). A partial update that leaves a text member unchanged then copies the old
ordinal's tokens to the new one instead of analysing the text again (``copy_batch``), so
text members are reused like any other (``Mapping.member_fields``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .column_base import Column, Growable, TermDictionary
from .postings import PostingLists, append_grouped, remap_lists, split
from .similarity import encode_lengths

# (term ids, owning ordinals, positions) of a batch's tokens, each ordinal's contiguous
Tokens = tuple[np.ndarray, np.ndarray, np.ndarray]


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices ``starts[i] .. starts[i] + lengths[i]`` of every ``i``, concatenated."""
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    before = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) + np.repeat(starts - before, lengths)


class TextColumn(Column):
    def __init__(self, analyzer: Callable[[str], list[str]]) -> None:
        self.analyzer = analyzer
        self.dictionary = TermDictionary()
        self._docs = PostingLists(np.int32)
        self._freqs = PostingLists(np.int32)
        self._positions = PostingLists(np.int32)
        self.lengths = Growable(np.int32, 0)  # tokens per ordinal
        # forward index: ordinal o's tokens are entries [starts[o], starts[o] + lengths[o])
        self.starts = Growable(np.int64, 0)
        self.entry_terms = Growable(np.int32, 0)
        self.entry_positions = Growable(np.int32, 0)
        self._norms: np.ndarray | None = None
        self.doc_count = 0  # live docs with at least one token
        self.sum_ttf = 0  # total tokens over live docs

    @property
    def terms(self) -> list[str]:
        return self.dictionary.terms

    @property
    def post_docs(self) -> list[np.ndarray]:
        return self._docs.arrays

    @property
    def post_freqs(self) -> list[np.ndarray]:
        return self._freqs.arrays

    @property
    def post_positions(self) -> list[np.ndarray]:
        return self._positions.arrays

    def resize(self, maxdoc: int) -> None:
        self.lengths.resize(maxdoc)
        self.starts.resize(maxdoc)
        self._norms = None

    # -- writes ------------------------------------------------------------------------

    def add_batch(
        self, ords: np.ndarray, values: Sequence[list[Any]], position_gap: int = 100
    ) -> None:
        self._ingest(*self._analyse(ords.tolist(), values, position_gap))

    def copy_batch(self, news: np.ndarray, olds: np.ndarray) -> None:
        self._ingest(*self._copied(news, olds))

    def add_and_copy_batch(
        self, ords: list[int], values: list[list[Any]], news: np.ndarray, olds: np.ndarray
    ) -> None:
        """Tokens go to the postings in one sort, so the ordinals may interleave."""
        parsed, copied = self._analyse(ords, values, 100), self._copied(news, olds)
        self._ingest(*(np.concatenate(pair) for pair in zip(parsed, copied, strict=True)))

    def _analyse(self, ords: list[int], values: Sequence[list[Any]], position_gap: int) -> Tokens:
        tokens: list[str] = []
        owners: list[int] = []
        positions: list[int] = []
        analyzer = self.analyzer
        for ordinal, vals in zip(ords, values, strict=True):
            pos = 0
            for i, text in enumerate(vals):
                toks = analyzer(text)
                if i:
                    pos += position_gap
                tokens.extend(toks)
                positions.extend(range(pos, pos + len(toks)))
                owners.extend([ordinal] * len(toks))
                pos += len(toks)
        term_ids = self.dictionary.intern(tokens)
        return (
            term_ids,
            np.asarray(owners, dtype=np.int64),
            np.asarray(positions, dtype=np.int32),
        )

    def _copied(self, news: np.ndarray, olds: np.ndarray) -> Tokens:
        """The tokens of ``olds`` from the forward index, owned by ``news``."""
        lengths = self.lengths.view()[olds].astype(np.int64)
        at = ranges(self.starts.view()[olds], lengths)
        return (
            self.entry_terms.view()[at].astype(np.int64),
            np.repeat(news, lengths),
            self.entry_positions.view()[at],
        )

    def _ingest(self, term_ids: np.ndarray, owners: np.ndarray, positions: np.ndarray) -> None:
        """Record the tokens of new ordinals: lengths, statistics, forward index, postings.
        Each ordinal's tokens are contiguous, in token order."""
        self._norms = None
        for lists in (self._docs, self._freqs, self._positions):
            lists.cover(len(self.dictionary.terms))
        if not len(term_ids):
            return
        run = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        counts = np.diff(np.r_[run, len(owners)])
        docs = owners[run]
        self.lengths.view()[docs] = counts
        self.doc_count += len(docs)
        self.sum_ttf += len(owners)
        self.starts.view()[docs] = self.entry_terms.n + run
        self.entry_terms.extend(term_ids)
        self.entry_positions.extend(positions)
        order = np.lexsort((positions, owners, term_ids))
        t, d, p = term_ids[order], owners[order], positions[order]
        # one posting per (term, doc); its freq is the run length
        pair_starts = np.flatnonzero(np.r_[True, (t[1:] != t[:-1]) | (d[1:] != d[:-1])])
        freqs = np.diff(np.r_[pair_starts, len(t)]).astype(np.int32)
        pair_terms = t[pair_starts]
        append_grouped(self._docs, pair_terms, d[pair_starts].astype(np.int32))
        append_grouped(self._freqs, pair_terms, freqs)
        append_grouped(self._positions, pair_terms, p, np.r_[pair_starts, len(t)])

    def delete(self, ords: np.ndarray) -> None:
        lens = self.lengths.view()[ords]
        self.doc_count -= int(np.count_nonzero(lens))
        self.sum_ttf -= int(lens.sum())

    def compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        docs, kept, lengths = remap_lists(self.post_docs, remap)
        if len(kept):
            n_terms = len(lengths)
            freqs = np.concatenate(self.post_freqs)
            kept_freqs = freqs[kept]
            owners = np.repeat(np.arange(n_terms), lengths)[kept]
            self._positions.replace(
                split(
                    np.concatenate(self.post_positions)[np.repeat(kept, freqs)],
                    np.bincount(owners, weights=kept_freqs, minlength=n_terms).astype(np.int64),
                )
            )
            self._freqs.replace(split(kept_freqs, np.bincount(owners, minlength=n_terms)))
        else:
            self._positions.replace(list(docs))
            self._freqs.replace(list(docs))
        self._docs.replace(docs)
        kept_lengths = self.lengths.view()[keep].astype(np.int64)
        at = ranges(self.starts.view()[keep], kept_lengths)
        self.entry_terms.replace(self.entry_terms.view()[at])
        self.entry_positions.replace(self.entry_positions.view()[at])
        self.starts.replace(np.cumsum(kept_lengths) - kept_lengths)
        self.lengths.compact(keep)
        self._norms = None

    # -- reads -------------------------------------------------------------------------

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
