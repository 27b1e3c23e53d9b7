"""Persistence of the HNSW graphs, so that reopening a large index does not rebuild them.

Layout under the engine's data path::

    vectors/<index uuid>/<field>.<generation>.faiss   the faiss index (faiss.write_index)
    vectors/<index uuid>/<field>.npz                  the manifest: generation, parameters,
                                                      sequence number of every faiss id

The manifest is written last and atomically (``os.replace``), so it always names a
complete graph file. Faiss ids are tied to documents by **sequence number**, never by
ordinal (ordinals are rebuilt on open): at load, an entry whose sequence number is the
current version of a live document is mapped to that document's ordinal; every other
entry is dead (masked until a rebuild), and live vectors newer than the saved graph are
added by the caller. The store is derived data: anything unreadable is ignored and the
graph is rebuilt from the documents.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import faiss
import numpy as np

from .columns import VectorColumn
from .vectors import FieldGraph, IndexVectors
from .vectors_mapping import VectorSpec

log = logging.getLogger("mutuo.engine.vectors")


def _dir(root: Path, uuid: str) -> Path:
    return root / "vectors" / uuid


def _name(field: str) -> str:
    return quote(field, safe="")


def save(root: Path, state: IndexVectors) -> None:
    """Write every graph that changed since its last save."""
    directory = _dir(root, state.index.uuid)
    for field, graph in state.graphs.items():
        manifest = directory / f"{_name(field)}.npz"
        if graph.changes == 0 and manifest.exists():
            continue
        directory.mkdir(parents=True, exist_ok=True)
        generation = time.time_ns()
        target = directory / f"{_name(field)}.{generation}.faiss"
        faiss.write_index(graph.index, str(target))
        spec = graph.spec
        tmp = directory / f"{_name(field)}.npz.tmp"
        with open(tmp, "wb") as out:
            np.savez(
                out,
                generation=np.int64(generation),
                seq=graph.fid_seq.view(),
                params=np.asarray([spec.dimension, spec.m, spec.ef_construction], dtype=np.int64),
                space=np.asarray(spec.space_type),
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, manifest)
        for old in directory.glob(f"{_name(field)}.*.faiss"):
            if old != target:
                old.unlink(missing_ok=True)
        graph.changes = 0
        graph.last_save = time.monotonic()


def load(root: Path, state: IndexVectors) -> None:
    """Load the saved graphs of an index and map their entries back to ordinals."""
    directory = _dir(root, state.index.uuid)
    if not directory.exists():
        return
    for field, spec in state.specs().items():
        manifest = directory / f"{_name(field)}.npz"
        if not manifest.exists():
            continue
        try:
            graph = _read(directory, spec, manifest)
        except Exception as exc:  # derived data: rebuild from the documents instead
            log.warning("ignoring saved graph of [%s] field [%s]: %s", state.index.name, field, exc)
            continue
        if graph is not None:
            _attach(graph, state)
            state.graphs[field] = graph


def _read(directory: Path, spec: VectorSpec, manifest: Path) -> FieldGraph | None:
    """The saved graph, or None when it was built with other parameters."""
    with np.load(manifest) as data:
        generation = int(data["generation"])
        seq = data["seq"].astype(np.int64)
        params = tuple(int(v) for v in data["params"])
        space = str(data["space"])
    if params != (spec.dimension, spec.m, spec.ef_construction) or space != spec.space_type:
        return None
    index = faiss.read_index(str(directory / f"{_name(spec.field)}.{generation}.faiss"))
    if index.ntotal != len(seq) or index.d != spec.dimension:
        return None
    graph = FieldGraph(spec)
    graph.index = index  # type: ignore[assignment]  # read_index returns the base type
    graph.fid_seq.resize(len(seq))
    graph.fid_seq.view()[:] = seq
    return graph


def _attach(graph: FieldGraph, state: IndexVectors) -> None:
    """Map saved entries to the ordinals of the same document versions."""
    shard = state.index.shard
    column = shard.columns.get(graph.spec.field)
    n = int(graph.index.ntotal)
    graph.fid_to_ord.resize(n)
    graph.ord_to_fid.resize(shard.maxdoc)
    graph.changes = 0
    if not isinstance(column, VectorColumn):
        graph.fid_to_ord.view()[:] = -1
        graph.fid_seq.view()[:] = -1
        graph.dead = n
        return
    live_ords = np.flatnonzero(shard.live_mask() & column.exists())
    live_seqs = shard.seq_nos.view()[live_ords]
    order = np.argsort(live_seqs, kind="stable")
    sorted_seqs = live_seqs[order]
    seq = graph.fid_seq.view()
    pos = np.minimum(np.searchsorted(sorted_seqs, seq), max(len(sorted_seqs) - 1, 0))
    valid = seq >= 0
    valid &= sorted_seqs[pos] == seq if len(sorted_seqs) else False
    fids = np.flatnonzero(valid)
    ords = live_ords[order[pos[valid]]]
    graph.fid_to_ord.view()[:] = -1
    graph.fid_to_ord.view()[fids] = ords
    graph.ord_to_fid.view()[ords] = fids
    seq[~valid] = -1
    graph.dead = n - len(fids)


def remove(root: Path, uuid: str) -> None:
    shutil.rmtree(_dir(root, uuid), ignore_errors=True)
