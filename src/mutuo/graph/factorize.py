"""The graph embedding: a truncated SVD of the degree-normalised like matrix.

``W[i, j]`` is the weight of edge ``i -> j`` (:mod:`.edges`). Popular members would
dominate a plain factorisation, so the matrix is normalised by both degrees, as in
spectral co-clustering: ``A = Dr^-1/2 W Dc^-1/2`` (out- and in-degree, plus one so a
member without edges in one direction is defined). Its truncated SVD ``A ~ U S V^T``
gives every member two halves:

* ``p_i = U_i S^1/2``, the member as a *liker* (whom they like), and
* ``q_i = V_i S^1/2``, the member as *liked* (who likes them),

so that ``p_i . q_j`` approximates ``A[i, j]``. ``graph_vector = unit(p + q)``. Then
``g_i . g_j = p_i.q_j + q_i.p_j + p_i.p_j + q_i.q_j``: the first two terms say how
likely each is to like the other (both directions: a reciprocal score), the last two
how alike their tastes and their admirers are. In a marketplace whose likes cross two
groups (men and women liking each other), the singular vectors of ``A`` split by block,
so between the groups only the reciprocal terms remain and within a group only the
similarity terms: a k-NN on ``graph_vector`` finds likely mutual matches for a viewer,
and members who like the same people get close vectors.

**Folding in.** ``p_i = A[i, :] V S^-1/2`` and ``q_i = A[:, i]^T U S^-1/2`` hold for the
truncated factors too, so a member whose edges changed gets new halves from their
current edges and the stored basis (``V S^-1/2``, ``U S^-1/2`` and the degree scales of
the other members) without a new factorisation: the classic SVD fold-in. A member
folded in with unchanged edges gets exactly their full-build vector.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from .basis import GraphBasis

DEGREE_SMOOTHING = 1.0
DENSE_LIMIT = 600  # below this many members an exact dense SVD is cheap and deterministic
MIN_SINGULAR = 1e-9


def weight_matrix(weights: dict[tuple[str, str], float], ids: list[str]) -> sp.csr_matrix:
    index = {m: i for i, m in enumerate(ids)}
    rows = [index[a] for a, _ in weights]
    cols = [index[b] for _, b in weights]
    n = len(ids)
    return sp.csr_matrix(
        (np.fromiter(weights.values(), dtype=np.float64, count=len(weights)), (rows, cols)),
        shape=(n, n),
    )


def _svd(
    a: sp.csr_matrix, rank: int, seed: int, dense_limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = a.shape[0]
    if n <= dense_limit or rank >= n - 1:
        u, s, vt = np.linalg.svd(a.toarray(), full_matrices=False)
        u, s, vt = u[:, :rank], s[:rank], vt[:rank]
    else:
        u, s, vt = svds(a, k=rank, random_state=seed, solver="arpack")
        order = np.argsort(-s)
        u, s, vt = u[:, order], s[order], vt[order]
    keep = s > MIN_SINGULAR
    return u[:, keep], s[keep], vt[keep]


def factorize(
    weights: dict[tuple[str, str], float],
    ids: list[str],
    dimension: int,
    seed: int = 0,
    dense_limit: int = DENSE_LIMIT,
    rank: int | None = None,
) -> GraphBasis:
    """The basis of a full build over the members ``ids`` (every edge's ends among them):
    ``rank`` (at most ``dimension``, the default) singular triplets, vectors zero-padded to
    ``dimension`` (padding changes no cosine)."""
    w = weight_matrix(weights, ids)
    row_scale = 1.0 / np.sqrt(np.asarray(w.sum(axis=1)).ravel() + DEGREE_SMOOTHING)
    col_scale = 1.0 / np.sqrt(np.asarray(w.sum(axis=0)).ravel() + DEGREE_SMOOTHING)
    a = sp.diags(row_scale) @ w @ sp.diags(col_scale)
    rank = max(1, min(rank or dimension, dimension, len(ids) - 1))
    u, s, vt = _svd(sp.csr_matrix(a), rank, seed, dense_limit)
    inv_root = 1.0 / np.sqrt(s)
    return GraphBasis(
        ids=list(ids),
        row_scale=row_scale,
        col_scale=col_scale,
        liker_basis=u * inv_root,  # U S^-1/2: folds in a member's in-edges
        liked_basis=vt.T * inv_root,  # V S^-1/2: folds in a member's out-edges
        singular_values=s,
        dimension=dimension,
    )


def fold_in(
    basis: GraphBasis,
    out_edges: dict[str, float],
    in_edges: dict[str, float],
) -> np.ndarray | None:
    """``graph_vector`` (unit length, ``basis.dimension`` long) of a member with these
    edges (other member id -> weight), or None when no edge reaches the basis."""
    k = len(basis.singular_values)
    p = np.zeros(k)
    q = np.zeros(k)
    row_scale = 1.0 / np.sqrt(sum(out_edges.values()) + DEGREE_SMOOTHING)
    col_scale = 1.0 / np.sqrt(sum(in_edges.values()) + DEGREE_SMOOTHING)
    for other, w in out_edges.items():
        j = basis.position.get(other)
        if j is not None:
            p += (w * row_scale * basis.col_scale[j]) * basis.liked_basis[j]
    for other, w in in_edges.items():
        j = basis.position.get(other)
        if j is not None:
            q += (w * col_scale * basis.row_scale[j]) * basis.liker_basis[j]
    return unit_padded(p + q, basis.dimension)


def full_vectors(basis: GraphBasis) -> np.ndarray:
    """Every basis member's ``p + q`` (rows in ``basis.ids`` order, not normalised):
    ``U S^-1/2 * S = U S^1/2 = p`` and likewise for ``q``."""
    return (basis.liker_basis + basis.liked_basis) * basis.singular_values


def unit_padded(vector: np.ndarray, dimension: int) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    if norm <= MIN_SINGULAR or not np.isfinite(norm):
        return None
    out = np.zeros(dimension)
    out[: len(vector)] = vector / norm
    return out
