"""Distances and scores of the k-NN plugin's space types, as small vectorised functions.

The plugin turns a raw distance into a ``_score`` per space type (``SpaceType``
``scoreTranslation``); exact search, approximate search and the ``knn_score`` script all
use the same translations, so they live here once:

=============  ============================  =======================================
space          raw value r                   score
=============  ============================  =======================================
l2             squared L2 distance           1 / (1 + r)
l1             L1 distance                   1 / (1 + r)
linf           L-infinity distance           1 / (1 + r)
cosinesimil    cosine similarity             max((1 + r) / 2, 0)
innerproduct   inner product                 r + 1 if r >= 0 else 1 / (1 - r)
=============  ============================  =======================================

Everything is float32, like the plugin's Java floats. A document's value depends on that
document and the query only, never on which other rows share the batch: dot products are
numpy's per-row ``einsum``, not a BLAS matrix-vector product, whose kernels sum a row in
an order that depends on its position in the block (one ulp apart, which is enough to send
a row down the other branch of an LTR tree when a rescore window and ``ltr_log`` score the
same document in different batches).
"""

from __future__ import annotations

import numpy as np

# Rows per chunk of an exact scan: bounds the temporary (rows x dimension) arrays.
_CHUNK = 8192
SIMILARITY_SPACES = ("cosinesimil", "innerproduct")  # raw value: bigger is closer


def raw_values(space: str, vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The raw measure (see the module table) of each row of ``vectors`` against ``query``."""
    out = np.empty(len(vectors), dtype=np.float32)
    q = query.astype(np.float32, copy=False)
    q_norm = np.float32(np.sqrt(np.dot(q, q)))
    for start in range(0, len(vectors), _CHUNK):
        rows = vectors[start : start + _CHUNK]
        out[start : start + len(rows)] = _raw_chunk(space, rows, q, q_norm)
    return out


def _raw_chunk(space: str, rows: np.ndarray, q: np.ndarray, q_norm: np.float32) -> np.ndarray:
    if space == "l2":
        diff = rows - q
        return np.einsum("ij,ij->i", diff, diff)
    if space == "l1":
        return np.abs(rows - q).sum(axis=1, dtype=np.float32)
    if space == "linf":
        return np.abs(rows - q).max(axis=1)
    dots = np.einsum("ij,j->i", rows, q)
    if space == "innerproduct":
        return dots
    if space == "cosinesimil":
        norms = np.sqrt(np.einsum("ij,ij->i", rows, rows)) * q_norm
        with np.errstate(divide="ignore", invalid="ignore"):
            cos = np.where(norms == 0, np.float32(0), dots / norms)
        return cos.astype(np.float32)
    raise ValueError(f"unknown space type [{space}]")


def scores_from_raw(space: str, raw: np.ndarray) -> np.ndarray:
    """The plugin's score translation of raw values (float32)."""
    raw = raw.astype(np.float32, copy=False)
    one = np.float32(1)
    if space in ("l2", "l1", "linf"):
        return one / (one + raw)
    if space == "cosinesimil":
        return np.maximum((one + raw) / np.float32(2), np.float32(0))
    if space == "innerproduct":  # 1 - min(ip, 0) >= 1: no division by zero
        return np.where(raw >= 0, raw + one, one / (one - np.minimum(raw, 0))).astype(np.float32)
    raise ValueError(f"unknown space type [{space}]")


def exact_scores(space: str, vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Scores of every row, as the plugin's exact search computes them."""
    return scores_from_raw(space, raw_values(space, vectors, query))


def within_radius(
    space: str, raw: np.ndarray, max_distance: float | None, min_score: float | None
) -> np.ndarray:
    """Which raw values a radial search keeps (``max_distance`` or ``min_score``).

    Distances are the engine's own: squared L2 for l2, ``1 - cos`` for cosinesimil and
    ``-ip`` for innerproduct (so a negative ``max_distance`` is meaningful there).
    """
    if min_score is not None:
        return scores_from_raw(space, raw) >= np.float32(min_score)
    assert max_distance is not None
    limit = np.float32(max_distance)
    if space == "cosinesimil":
        return (np.float32(1) - raw) <= limit
    if space == "innerproduct":
        return -raw <= limit
    return raw <= limit


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Unit-length copies of the rows (faiss stores cosinesimil vectors normalised)."""
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors)).astype(np.float32)
    norms[norms == 0] = 1
    return (vectors / norms[:, None]).astype(np.float32)


def top_k(scores: np.ndarray, ordinals: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best (ordinal, score) pairs, ties broken by the lower ordinal."""
    if len(scores) > k:
        cut = np.argpartition(-scores, k - 1)[:k]
        threshold = scores[cut].min()
        keep = np.flatnonzero(scores >= threshold)
        scores, ordinals = scores[keep], ordinals[keep]
    order = np.lexsort((ordinals, -scores))[:k]
    return ordinals[order], scores[order]
