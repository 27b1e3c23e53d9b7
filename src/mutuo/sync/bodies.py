"""The JSON the sink sends: bulk metadata, whole and partial documents, dead letters."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import orjson

from .config import SyncMapping
from .mapping import MappedDoc
from .prepare import DeadLetter, PreparedBatch


def meta(mapping: SyncMapping, doc_id: str, **extra: Any) -> dict[str, Any]:
    """Bulk action metadata; ``require_alias`` so a missing alias is an error, never an
    auto-created concrete index."""
    return {"_index": mapping.index, "_id": doc_id, "require_alias": True, **extra}


def bookkeeping(mapping: SyncMapping, doc: MappedDoc, now_ms: int) -> dict[str, Any]:
    """The source version, and the sync time (``now_ms``: one clock reading per bulk)."""
    out: dict[str, Any] = {mapping.version_field: doc.version}
    if mapping.synced_at_field:
        out[mapping.synced_at_field] = now_ms
    return out


def whole(
    mapping: SyncMapping, doc: MappedDoc, batch: PreparedBatch, now_ms: int
) -> dict[str, Any]:
    """The complete document (missing fields left out), with its vector."""
    body = {k: v for k, v in doc.fields.items() if v is not None}
    body.update(bookkeeping(mapping, doc, now_ms))
    embedding = mapping.embedding
    h = batch.hashes.get(doc.doc_id)
    if embedding is not None and h is not None:
        body[embedding.field] = vector_json(batch.vectors[h])
        body[embedding.hash_field] = h
    return body


def partial(
    mapping: SyncMapping,
    doc: MappedDoc,
    fields: dict[str, Any],
    batch: PreparedBatch,
    indexed_hash: str | None,
    now_ms: int,
) -> dict[str, Any]:
    """``fields`` (the sync's own fields that changed, a fresh dict: None clears one the
    source dropped) with the bookkeeping; the vector only when the text differs from the
    one the indexed vector was computed from."""
    body = fields
    body.update(bookkeeping(mapping, doc, now_ms))
    embedding = mapping.embedding
    h = batch.hashes.get(doc.doc_id)
    if embedding is not None and h != indexed_hash:
        body[embedding.field] = None if h is None else vector_json(batch.vectors[h])
        body[embedding.hash_field] = h
    return body


def vector_json(vector: np.ndarray) -> list[float]:
    """A float32 vector as the JSON numbers it is sent as: each value's shortest decimal
    (what a float32 writer gives), as a double that JSON writers then write the usual
    way. orjson writes a small float32 as ``-0.0000013134954`` but the same number as a
    double as ``-1.3134954e-6``, which is how the embedded engine writes it back; a
    vector whose text is exactly the engine's own is stored apart from the rest of the
    document, so a later update that leaves it alone neither reads nor writes it again
    (``engine/stored_source.py``). Nearly one profile in ten had such a value. Costs some
    microseconds a vector, next to the milliseconds the model spends on it."""
    values: list[float] = orjson.loads(orjson.dumps(vector, option=orjson.OPT_SERIALIZE_NUMPY))
    return values


def dead_letter_id(mapping: SyncMapping, d: DeadLetter) -> str:
    """Deterministic, so a replayed change overwrites its entry instead of adding one."""
    key = f"{mapping.name}\x00{d.doc_id}\x00{d.version}\x00{d.stage}"
    return hashlib.sha1(key.encode()).hexdigest()[:20]


def dead_letter(mapping: SyncMapping, source: str, d: DeadLetter, now_ms: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "@timestamp": now_ms,
        "mapping": mapping.name,
        "source": source,
        "target_index": mapping.index,
        "doc_id": d.doc_id,
        "version": d.version,
        "op": d.op,
        "stage": d.stage,
        "error": {"type": d.error_type, "reason": d.reason},
    }
    if d.document is not None:
        body["document"] = d.document
    if d.raw is not None:
        body["raw"] = d.raw
    return body
