"""Approximate k-NN structures: one faiss HNSW graph per ``knn_vector`` field per index.

The k-NN plugin builds a native faiss graph per Lucene segment; the embedded engine has
one segment per index, so it keeps one graph per field and grows it at each refresh
(:class:`FieldGraph.on_refresh`, subscribed to ``Shard.listeners``). Faiss ids are
independent of shard ordinals: ``fid_to_ord`` maps a faiss entry to the ordinal holding
its vector, ``-1`` once that document version is gone. That indirection is what keeps
the graph cheap to maintain:

* a deleted or updated document only marks its entry dead; searches exclude dead
  entries with a faiss ``IDSelector`` until enough of them pile up to rebuild;
* an update that leaves the vector unchanged (profile counters change all the time,
  vectors rarely) moves the existing entry to the new ordinal instead of adding a
  duplicate;
* ``Shard.compact()`` renumbers ordinals, so only the mapping array is remapped;
* a field's graph is built on the first ``knn`` query that targets it
  (:meth:`IndexVectors.ensure`), not at indexing: a vector field that is only ever read
  by exact scoring (``knn_score`` scripts; mutuo's ``taste_vector``, rewritten with every
  like) never pays for HNSW inserts and dead entries. Results do not change: without a
  graph there is nothing approximate to search, and exact scoring reads the column. This
  is the k-NN plugin's own deferral (``index.knn.advanced.approximate_threshold``: no
  graph for a segment until it is worth one), pushed to "until someone asks".

Graphs are persisted under the data path (see :mod:`.vectors_store`) on close and
periodically, keyed by sequence numbers, so reopening a large index does not rebuild.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from .columns import Growable, VectorColumn
from .fields import VECTOR
from .vector_spaces import normalize_rows
from .vectors_mapping import VectorSpec

if TYPE_CHECKING:
    from .engine import Engine
    from .index import Index
    from .router import Router
    from .shard import Shard

# Spaces with an HNSW graph (faiss/lucene); l1 and linf are exact-only (script scoring).
GRAPH_SPACES = ("l2", "cosinesimil", "innerproduct")
DEFAULT_EF_SEARCH = 100
# Rebuild the graph when this share of its entries is dead (and enough of them to matter).
REBUILD_RATIO = 0.35
REBUILD_MIN_DEAD = 512
SAVE_INTERVAL_S = 300.0


@contextmanager
def _build_threads() -> Iterator[None]:
    """Graph construction uses every core; searches stay single-threaded.

    A single-query HNSW search gains nothing from OpenMP, and an idle OpenMP team left
    spinning after it slows the numpy work around it on a small machine.
    """
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


faiss.omp_set_num_threads(1)


def knn_enabled(index: Index) -> bool:
    return str(index.settings.get("index.knn", "false")).lower() == "true"


class FieldGraph:
    """The HNSW graph of one field, with the faiss id <-> ordinal mapping."""

    def __init__(self, spec: VectorSpec) -> None:
        self.spec = spec
        metric = faiss.METRIC_L2 if spec.space_type == "l2" else faiss.METRIC_INNER_PRODUCT
        self.index = faiss.IndexHNSWFlat(spec.dimension, spec.m, metric)
        self.index.hnsw.efConstruction = spec.ef_construction
        self.fid_to_ord = Growable(np.int64, -1)
        self.fid_seq = Growable(np.int64, -1)  # sequence number of the doc version (persistence)
        self.ord_to_fid = Growable(np.int64, -1)
        self.dead = 0
        self.changes = 0  # since the last save
        self.last_save = time.monotonic()
        self._alive_bits: np.ndarray | None = None
        self._params: dict[int, Any] = {}

    @property
    def ntotal(self) -> int:
        return self.fid_to_ord.n  # kept equal to the faiss index's ntotal, without a SWIG call

    @property
    def live_count(self) -> int:
        return self.ntotal - self.dead

    # -- maintenance -------------------------------------------------------------------

    def on_refresh(
        self, shard: Shard, column: VectorColumn, new_ords: np.ndarray, dead: np.ndarray
    ) -> None:
        """Follow one refresh: reuse unchanged vectors, mask dead ones, add the rest."""
        self.ord_to_fid.resize(shard.maxdoc)
        ord_to_fid = self.ord_to_fid.view()
        has = column.exists()
        live = shard.live_mask()
        if len(new_ords):
            new_ords = new_ords[ord_to_fid[new_ords] < 0]  # entries loaded from disk stay
        fresh = new_ords[live[new_ords] & has[new_ords]] if len(new_ords) else new_ords
        gone = dead[ord_to_fid[dead] >= 0] if len(dead) else dead
        if len(gone) and len(fresh):
            fresh, gone = self._reuse_unchanged(shard, column, fresh, gone)
        if len(gone):
            fids = ord_to_fid[gone]
            self.fid_to_ord.view()[fids] = -1
            self.fid_seq.view()[fids] = -1
            ord_to_fid[gone] = -1
            self.dead += len(gone)
            self.changes += len(gone)
            self._alive_bits = None
        if len(fresh):
            self._add(shard, column.matrix.view()[fresh], fresh)

    def _reuse_unchanged(
        self, shard: Shard, column: VectorColumn, fresh: np.ndarray, gone: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Move the entries of updated docs whose vector did not change; return the rest."""
        ids = shard.ids
        previous = {ids[o]: o for o in gone.tolist()}
        pairs = [(n, previous[ids[n]]) for n in fresh.tolist() if ids[n] in previous]
        if not pairs:
            return fresh, gone
        new, old = (np.asarray(side, dtype=np.int64) for side in zip(*pairs, strict=True))
        matrix = column.matrix.view()
        same = np.all(matrix[new] == matrix[old], axis=1)
        new, old = new[same], old[same]
        ord_to_fid = self.ord_to_fid.view()
        fids = ord_to_fid[old]
        self.fid_to_ord.view()[fids] = new
        self.fid_seq.view()[fids] = shard.seq_nos.view()[new]
        ord_to_fid[new] = fids
        ord_to_fid[old] = -1
        return np.setdiff1d(fresh, new), np.setdiff1d(gone, old)

    def _add(self, shard: Shard, vectors: np.ndarray, ordinals: np.ndarray) -> None:
        start = self.ntotal
        rows = normalize_rows(vectors) if self.spec.space_type == "cosinesimil" else vectors
        with _build_threads():
            self.index.add(np.ascontiguousarray(rows, dtype=np.float32))
        end = start + len(ordinals)
        for arr in (self.fid_to_ord, self.fid_seq):
            arr.resize(end)
        self.fid_to_ord.view()[start:end] = ordinals
        self.fid_seq.view()[start:end] = shard.seq_nos.view()[ordinals]
        self.ord_to_fid.view()[ordinals] = np.arange(start, end)
        self.changes += len(ordinals)
        self._alive_bits = None

    def on_compact(self, keep: np.ndarray, remap: np.ndarray) -> None:
        """Ordinals were renumbered by a merge: only the mapping moves."""
        mapping = self.fid_to_ord.view()
        alive = mapping >= 0
        mapping[alive] = remap[mapping[alive]]
        self.ord_to_fid.resize(len(keep))
        self.ord_to_fid.compact(keep)

    def needs_rebuild(self) -> bool:
        return self.dead >= REBUILD_MIN_DEAD and self.dead >= REBUILD_RATIO * self.ntotal

    @classmethod
    def build(cls, spec: VectorSpec, shard: Shard, column: VectorColumn) -> FieldGraph:
        """A fresh graph over the live vectors (what a Lucene merge does to segments)."""
        graph = cls(spec)
        graph.ord_to_fid.resize(shard.maxdoc)
        ords = np.flatnonzero(shard.live_mask() & column.exists())
        if len(ords):
            graph._add(shard, column.matrix.view()[ords], ords)
        return graph

    # -- search ------------------------------------------------------------------------

    def search(
        self, prepared: np.ndarray, k: int, ef_search: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ordinals, raw faiss values) of the approximate top ``k``.

        ``allowed`` is a boolean mask over ordinals (the efficient filter); dead entries
        are always excluded. Raw values are squared L2 distances or inner products.
        ``prepared`` is the query from :meth:`prepare`.
        """
        ntotal = self.ntotal
        if ntotal == 0 or k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        q = prepared
        bits = self._selector_bits(allowed)
        if bits is None:
            params = self._plain_params(int(ef_search))
        else:
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = int(ef_search)
            selector = faiss.IDSelectorBitmap(ntotal, faiss.swig_ptr(bits))
            params.sel = selector
        distances, labels = self.index.search(q, min(k, ntotal), params=params)
        found = labels[0] >= 0
        fids = labels[0][found]
        return self.fid_to_ord.view()[fids], distances[0][found].astype(np.float32)

    def exact_raw(self, prepared: np.ndarray, ordinals: np.ndarray) -> np.ndarray:
        """Raw values (squared L2 or inner product) of the given live ordinals, computed by
        faiss on the graph's own vectors: no gather of the rows, SIMD distances."""
        fids = np.ascontiguousarray(self.ord_to_fid.view()[ordinals], dtype=np.int64)
        out = np.empty((1, len(fids)), dtype=np.float32)
        if len(fids):
            q = prepared
            storage = faiss.downcast_index(self.index.storage)
            storage.compute_distance_subset(  # type: ignore[attr-defined]
                1, faiss.swig_ptr(q), len(fids), faiss.swig_ptr(out), faiss.swig_ptr(fids)
            )
        return out[0]

    def prepare(self, query: np.ndarray) -> np.ndarray:
        """The query as faiss sees it: one float32 row, unit length for cosinesimil."""
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if self.spec.space_type == "cosinesimil":
            norm = np.float32(np.sqrt(np.dot(q[0], q[0])))
            q = q / norm if norm else q
        return q

    def _plain_params(self, ef_search: int) -> Any:
        """Search parameters without a selector, reused (requests run one at a time)."""
        params = self._params.get(ef_search)
        if params is None:
            params = self._params[ef_search] = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = ef_search
        return params

    def _selector_bits(self, allowed: np.ndarray | None) -> np.ndarray | None:
        if allowed is None:
            if self.dead == 0:
                return None
            if self._alive_bits is None:
                self._alive_bits = np.packbits(self.fid_to_ord.view() >= 0, bitorder="little")
            return self._alive_bits
        mapping = self.fid_to_ord.view()
        ok = mapping >= 0
        ok[ok] = allowed[mapping[ok]]
        return np.packbits(ok, bitorder="little")


class IndexVectors:
    """The graphs of one index, following its shard's refreshes and merges."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.graphs: dict[str, FieldGraph] = {}

    def specs(self) -> dict[str, VectorSpec]:
        """Vector fields that get a graph: ``index.knn`` on and an HNSW space."""
        if not knn_enabled(self.index):
            return {}
        return {
            path: mapper.vector
            for path, mapper in self.index.mapping.fields.items()
            if mapper.kind == VECTOR and mapper.vector.space_type in GRAPH_SPACES
        }

    def graph(self, field: str) -> FieldGraph | None:
        """The field's graph if one was built (see :meth:`ensure`)."""
        return self.graphs.get(field)

    def ensure(self, field: str) -> FieldGraph | None:
        """The field's graph, built now over its live vectors if this is the first
        ``knn`` query on it; None when the field has no HNSW space or no vectors yet."""
        graph = self.graphs.get(field)
        if graph is not None:
            return graph
        spec = self.specs().get(field)
        shard = self.index.shard
        column = shard.columns.get(field)
        if spec is None or not isinstance(column, VectorColumn):
            return None
        graph = self.graphs[field] = FieldGraph.build(spec, shard, column)
        return graph

    def on_refresh(self, shard: Shard, new_ords: np.ndarray, dead: np.ndarray) -> None:
        """Keep the graphs that exist in step; fields nobody searched stay without one."""
        specs = self.specs()
        for path, graph in list(self.graphs.items()):
            column = shard.columns.get(path)
            if path in specs and isinstance(column, VectorColumn):
                graph.on_refresh(shard, column, new_ords, dead)

    def on_compact(self, shard: Shard, keep: np.ndarray, remap: np.ndarray) -> None:
        for path, graph in list(self.graphs.items()):
            graph.on_compact(keep, remap)
            column = shard.columns.get(path)
            if graph.needs_rebuild() and isinstance(column, VectorColumn):
                self.graphs[path] = FieldGraph.build(graph.spec, shard, column)


class VectorGraphs:
    """Engine extension: the graphs of every open index, by index uuid."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.by_index: dict[str, IndexVectors] = {}

    def for_index(self, index: Index) -> IndexVectors | None:
        return self.by_index.get(index.uuid)

    def open(self, index: Index) -> None:
        from . import vectors_store

        state = IndexVectors(index)
        self.by_index[index.uuid] = state
        index.shard.listeners.append(state.on_refresh)
        index.shard.listeners.append(lambda *_a: self._maybe_save(state))
        index.shard.compact_listeners.append(state.on_compact)
        if self.engine.path is not None:
            vectors_store.load(self.engine.path, state)
        # ordinals that exist already (the store was replayed before this hook ran)
        state.on_refresh(index.shard, np.arange(index.shard.maxdoc, dtype=np.int64), _NONE)

    def unload(self, index: Index) -> None:
        state = self.by_index.pop(index.uuid, None)
        if state is not None:
            self.save(state)

    def delete(self, index: Index) -> None:
        from . import vectors_store

        self.by_index.pop(index.uuid, None)
        if self.engine.path is not None:
            vectors_store.remove(self.engine.path, index.uuid)

    def close(self) -> None:
        for state in self.by_index.values():
            self.save(state)

    def save(self, state: IndexVectors) -> None:
        from . import vectors_store

        if self.engine.path is not None:
            vectors_store.save(self.engine.path, state)

    def _maybe_save(self, state: IndexVectors) -> None:
        if self.engine.path is None:
            return
        now = time.monotonic()
        if any(g.changes and now - g.last_save >= SAVE_INTERVAL_S for g in state.graphs.values()):
            self.save(state)


_NONE = np.empty(0, dtype=np.int64)


def graphs_of(engine: Any) -> VectorGraphs:
    graphs: VectorGraphs = engine.extensions["vectors"]
    return graphs


def register(router: Router, engine: Engine) -> None:
    """Attach the vector graphs to the engine's index lifecycle."""
    graphs = VectorGraphs(engine)
    engine.extensions["vectors"] = graphs
    engine.open_hooks.append(graphs.open)
    engine.unload_hooks.append(graphs.unload)
    engine.delete_hooks.append(graphs.delete)
    engine.close_hooks.append(graphs.close)
