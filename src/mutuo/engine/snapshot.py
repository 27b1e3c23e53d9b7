"""Snapshots of an index's searchable structures, so that reopening is not re-indexing.

The store stays the source of truth: a snapshot is derived data, written on close and
periodically, and trusted only as far as the store agrees with it. At open, every live
row of the store is compared with the snapshot by sequence number: rows the snapshot
holds at the same sequence number are kept as they are, newer rows are parsed and indexed
again, and snapshot documents the store no longer has live are deleted. Whatever cannot
be read (another format, another mapping, a truncated file) is ignored and the index is
rebuilt from the store, exactly as without snapshots.

Layout: ``PATH/snapshots/<index uuid>.pkl`` (pickle protocol 5; written to a temporary
file, fsynced, then renamed, so a crash never leaves a half-written snapshot in place).
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from .columns import Growable
from .index import Index

log = logging.getLogger("mutuo.engine.snapshot")

# 2: text columns keep a forward index (and posting lists their own class): a format-1
# snapshot is not read, the index is rebuilt from the store once
FORMAT = 2


def path_for(root: Path, uuid: str) -> Path:
    return root / "snapshots" / f"{uuid}.pkl"


def save(root: Path, index: Index) -> bool:
    """Write the index's refreshed state; False when there are unrefreshed writes."""
    shard = index.shard
    if shard.pending:
        return False
    state: dict[str, Any] = {
        "format": FORMAT,
        "mapping": index.mapping.definition,
        "ids": shard.ids,
        "live": shard.live.view(),
        "seq_nos": shard.seq_nos.view(),
        "versions": shard.versions.view(),
        "columns": shard.columns,
        "num_deleted": shard.num_deleted,
    }
    target = path_for(root, index.uuid)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as out:
        pickle.dump(state, out, protocol=5)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, target)
    shard.changes_since_snapshot = 0
    return True


def restore(root: Path, index: Index) -> bool:
    """Load the index's snapshot into its (empty) shard; False when there is none usable."""
    target = path_for(root, index.uuid)
    if not target.exists():
        return False
    try:
        with open(target, "rb") as source:
            state = pickle.load(source)
    except Exception as exc:  # derived data: an unreadable snapshot means a rebuild
        log.warning("ignoring unreadable snapshot %s: %s", target, exc)
        return False
    if state.get("format") != FORMAT or state.get("mapping") != index.mapping.definition:
        return False
    shard = index.shard
    live = np.asarray(state["live"], dtype=bool)
    shard.ids = list(state["ids"])
    shard.id_to_ord = {doc_id: i for i, doc_id in enumerate(shard.ids) if live[i]}
    for growable, values in (
        (shard.live, live),
        (shard.seq_nos, state["seq_nos"]),
        (shard.versions, state["versions"]),
    ):
        _fill(growable, values)
    shard.columns = state["columns"]
    shard.num_deleted = int(state["num_deleted"])
    shard.changes_since_snapshot = 0
    shard.generation += 1
    shard.cache.clear()
    return True


def remove(root: Path, uuid: str) -> None:
    path_for(root, uuid).unlink(missing_ok=True)


def _fill(growable: Growable, values: np.ndarray) -> None:
    growable.resize(len(values))
    growable.view()[:] = values
