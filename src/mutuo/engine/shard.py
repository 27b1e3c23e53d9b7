"""The searchable in-memory state of one index (a single shard, a single segment).

Writes are queued as pending operations and become visible at :meth:`Shard.refresh`,
exactly like OpenSearch's near-real-time search: until then, searches see the previous
state while GETs (served from the store) are real-time. Each refresh bumps
``generation`` so that caches (filters, statistics) keyed on it stay correct.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .columns import (
    Column,
    GeoColumn,
    Growable,
    KeywordColumn,
    NumericColumn,
    TextColumn,
    VectorColumn,
)
from .fields import BOOLEAN, DATE, GEO_POINT, KEYWORD, NUMBER, TEXT, VECTOR, FieldMapper
from .mapping import Mapping

# Compact when at least this share of ordinals is deleted (and enough of them to matter).
COMPACT_RATIO = 0.35
COMPACT_MIN_DELETED = 512


@dataclass(slots=True)
class PendingOp:
    doc_id: str
    seq_no: int
    version: int
    values: dict[str, list[Any]] | None  # None = delete
    mapping_version: int = 0  # what the values were parsed under (0: unknown)
    # (ordinal, fields): fields whose entries are those of this earlier ordinal of the
    # document (a partial update that left their members unchanged; see Shard.reusable)
    reuse: tuple[int, tuple[str, ...]] | None = None


RefreshListener = Callable[["Shard", np.ndarray, np.ndarray], None]


class Shard:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.ids: list[str] = []
        self.id_to_ord: dict[str, int] = {}
        self.live = Growable(np.bool_, False)
        self.seq_nos = Growable(np.int64, -1)
        self.versions = Growable(np.int64, 0)
        # the Mapping.version each ordinal was parsed under (0: unknown, e.g. a snapshot)
        self.parsed_under = Growable(np.int64, 0)
        self.columns: dict[str, Column] = {}
        self.pending: list[PendingOp] = []
        self.generation = 0
        self.num_deleted = 0
        self.changes_since_snapshot = 0  # applied operations not yet in a snapshot
        self.cache: dict[Any, Any] = {}  # per-generation caches (filters, stats)
        # called after each refresh with (new ordinals, deleted ordinals) and after
        # compaction; the vector structures subscribe here
        self.listeners: list[RefreshListener] = []
        self.compact_listeners: list[Callable[[Shard, np.ndarray, np.ndarray], None]] = []

    @property
    def maxdoc(self) -> int:
        return len(self.ids)

    @property
    def num_docs(self) -> int:
        return len(self.id_to_ord)

    def live_mask(self) -> np.ndarray:
        return self.live.view()

    # -- writes ------------------------------------------------------------------------

    def enqueue(self, op: PendingOp) -> None:
        self.pending.append(op)

    def refresh(self) -> bool:
        """Apply pending operations; True when anything changed."""
        if not self.pending:
            return False
        ops, self.pending = self.pending, []
        self.changes_since_snapshot += len(ops)
        start = self.maxdoc
        deleted: list[int] = []
        added: list[tuple[int, PendingOp]] = []
        new_seq: list[int] = []
        new_ver: list[int] = []
        new_parsed: list[int] = []
        for op in ops:
            old = self.id_to_ord.pop(op.doc_id, None)
            if old is not None:
                deleted.append(old)
            if op.values is None:
                continue
            ordinal = len(self.ids)
            self.ids.append(op.doc_id)
            self.id_to_ord[op.doc_id] = ordinal
            added.append((ordinal, op))
            new_seq.append(op.seq_no)
            new_ver.append(op.version)
            new_parsed.append(op.mapping_version)
        n = self.maxdoc
        for arr in (self.live, self.seq_nos, self.versions, self.parsed_under):
            arr.resize(n)
        self.live.view()[start:n] = True
        self.seq_nos.view()[start:n] = new_seq
        self.versions.view()[start:n] = new_ver
        self.parsed_under.view()[start:n] = new_parsed
        for column in self.columns.values():
            column.resize(n)
        self._index_fields(added, n)
        dead = np.asarray(sorted(set(deleted)), dtype=np.int64)
        if len(dead):
            self.live.view()[dead] = False
            self.num_deleted += len(dead)
            for column in self.columns.values():
                column.delete(dead)
        self.generation += 1
        self.cache.clear()
        new_ords = np.arange(start, n, dtype=np.int64)
        for listener in self.listeners:
            listener(self, new_ords, dead)
        if self.num_deleted >= COMPACT_MIN_DELETED and self.num_deleted >= COMPACT_RATIO * n:
            self.compact()
        return True

    def reusable(self, doc_id: str, seq_no: int, mapping_version: int) -> int | None:
        """The ordinal holding document ``doc_id`` as written at ``seq_no``, when its
        entries were parsed under this mapping version (so a member that did not change
        would be indexed exactly the same again); None otherwise."""
        ordinal = self.id_to_ord.get(doc_id)
        if ordinal is None or ordinal >= self.parsed_under.n:
            return None
        if int(self.seq_nos.view()[ordinal]) != seq_no:
            return None  # a newer write of the document is pending
        if int(self.parsed_under.view()[ordinal]) != mapping_version:
            return None
        return ordinal

    def _index_fields(self, added: list[tuple[int, PendingOp]], maxdoc: int) -> None:
        by_field: dict[str, tuple[list[int], list[list[Any]]]] = {}
        reused: dict[tuple[str, ...], tuple[list[int], list[int]]] = {}  # fields -> ords
        for ordinal, op in added:
            assert op.values is not None
            for path, vals in op.values.items():
                entry = by_field.get(path)
                if entry is None:
                    entry = by_field[path] = ([], [])
                entry[0].append(ordinal)
                entry[1].append(vals)
            if op.reuse is not None:
                group = reused.get(op.reuse[1])
                if group is None:
                    group = reused[op.reuse[1]] = ([], [])
                group[0].append(ordinal)
                group[1].append(op.reuse[0])
        for path, (news, olds) in _by_field(reused, self.columns).items():
            source = self.columns[path]
            source.resize(maxdoc)
            entry = by_field.pop(path, None)
            if entry is None:
                source.copy_batch(news, olds)
            else:  # the field also has parsed values in this refresh
                source.add_and_copy_batch(entry[0], entry[1], news, olds)
        for path, (ords, vals) in by_field.items():
            column = self.column(path, create=True)
            if column is None:
                continue
            column.resize(maxdoc)
            column.add_batch(np.asarray(ords, dtype=np.int64), vals)

    def column(self, path: str, create: bool = False) -> Column | None:
        column = self.columns.get(path)
        if column is not None or not create:
            return column
        mapper = self.mapping.fields.get(path)
        if mapper is None:
            return None
        column = make_column(mapper)
        if column is not None:
            column.resize(self.maxdoc)
            self.columns[path] = column
        return column

    def compact(self) -> None:
        """Drop deleted ordinals and renumber (a merge); order of live docs is kept."""
        keep = self.live.view().copy()
        self.parsed_under.resize(self.maxdoc)  # unknown (0) past what a snapshot held
        remap = np.full(self.maxdoc, -1, dtype=np.int64)
        remap[keep] = np.arange(int(keep.sum()))
        self.ids = [doc_id for doc_id, k in zip(self.ids, keep.tolist(), strict=True) if k]
        self.id_to_ord = {doc_id: i for i, doc_id in enumerate(self.ids)}
        for arr in (self.live, self.seq_nos, self.versions, self.parsed_under):
            arr.compact(keep)
        for column in self.columns.values():
            column.compact(keep, remap)
        self.num_deleted = 0
        self.generation += 1
        self.cache.clear()
        for listener in self.compact_listeners:
            listener(self, keep, remap)


def _by_field(
    reused: dict[tuple[str, ...], tuple[list[int], list[int]]], columns: dict[str, Column]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(new ordinals ascending, the ordinals they copy) of each field with a column (a
    field without one had no entry to copy)."""
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    for paths, (new_ords, old_ords) in reused.items():
        pair = (np.asarray(new_ords, dtype=np.int64), np.asarray(old_ords, dtype=np.int64))
        for path in paths:
            if path in columns:
                pairs.setdefault(path, []).append(pair)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for path, found in pairs.items():
        news = np.concatenate([n for n, _ in found])
        olds = np.concatenate([o for _, o in found])
        order = np.argsort(news, kind="stable")
        out[path] = (news[order], olds[order])
    return out


def make_column(mapper: FieldMapper) -> Column | None:
    if not mapper.indexed and not mapper.has_doc_values and mapper.kind != VECTOR:
        return None
    kind = mapper.kind
    if kind == KEYWORD:
        return KeywordColumn()
    if kind == TEXT:
        return TextColumn(mapper.analyzer)
    if kind in (NUMBER, DATE, BOOLEAN):
        return NumericColumn(
            integer=kind != NUMBER or mapper.is_integer, unsigned=mapper.type == "unsigned_long"
        )
    if kind == GEO_POINT:
        return GeoColumn()
    if kind == VECTOR:
        return VectorColumn(mapper.vector.dimension)
    return None
