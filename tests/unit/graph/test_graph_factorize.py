"""The graph embedding's math on small hand-made like graphs (no engine needed)."""

from __future__ import annotations

import numpy as np

from mutuo.graph.edges import edge_set
from mutuo.graph.factorize import factorize, fold_in, full_vectors, unit_padded

DIM = 4  # far below the number of members, as 64 is in a real marketplace
SIDE = 20  # men (and women) per taste cluster


def two_taste_market() -> tuple[dict[tuple[str, str], float], list[str]]:
    """Two taste clusters of SIDE men and SIDE women each: a man likes about half the
    women of his cluster and none of the other, and the same for women; one match."""
    rng = np.random.default_rng(11)
    triples = []
    for cluster in range(2):
        group = range(cluster * SIDE, (cluster + 1) * SIDE)
        for m in group:
            for w in group:
                if rng.random() < 0.5:
                    triples.append((f"m{m}", "like", f"w{w}"))
                if rng.random() < 0.5:
                    triples.append((f"w{w}", "like", f"m{m}"))
    triples.append(("m0", "match", "w0"))
    edges = edge_set(triples)
    return edges.weights(), edges.members()


def vectors(weights: dict[tuple[str, str], float], ids: list[str]) -> dict[str, np.ndarray]:
    basis = factorize(weights, ids, DIM)
    out = {}
    for member, row in zip(basis.ids, full_vectors(basis), strict=True):
        vector = unit_padded(row, DIM)
        assert vector is not None
        out[member] = vector
    return out


def test_members_who_like_the_same_people_get_close_vectors() -> None:
    v = vectors(*two_taste_market())
    same = [float(v[f"m{a}"] @ v[f"m{b}"]) for a, b in ((0, 1), (2, 7), (25, 30), (21, 39))]
    across = [float(v[f"m{a}"] @ v[f"m{b}"]) for a, b in ((0, 21), (2, 30), (7, 39), (1, 25))]
    assert min(same) > max(across) + 0.3


def test_a_member_is_closer_to_whom_their_cluster_likes_than_to_the_other_cluster() -> None:
    v = vectors(*two_taste_market())
    liked = [float(v["m1"] @ v[f"w{w}"]) for w in range(SIDE)]
    not_liked = [float(v["m1"] @ v[f"w{w}"]) for w in range(SIDE, 2 * SIDE)]
    assert min(liked) > max(not_liked)


def test_vectors_have_the_configured_dimension_and_unit_length() -> None:
    v = vectors(*two_taste_market())
    assert {len(x) for x in v.values()} == {DIM}
    assert np.allclose([np.linalg.norm(x) for x in v.values()], 1.0)


def test_folding_in_a_member_with_unchanged_edges_reproduces_the_full_build() -> None:
    weights, ids = two_taste_market()
    basis = factorize(weights, ids, DIM)
    full = vectors(weights, ids)
    out = {b: w for (a, b), w in weights.items() if a == "w24"}
    into = {a: w for (a, b), w in weights.items() if b == "w24"}
    folded = fold_in(basis, out, into)
    assert folded is not None
    np.testing.assert_allclose(folded, full["w24"], atol=1e-9)


def test_a_newcomer_folded_in_lands_near_the_cluster_they_like() -> None:
    weights, ids = two_taste_market()
    basis = factorize(weights, ids, DIM)
    full = vectors(weights, ids)
    newcomer = fold_in(basis, {"w23": 1.0, "w24": 1.0, "w35": 1.0}, {})
    assert newcomer is not None
    assert float(newcomer @ full["m24"]) > float(newcomer @ full["m1"]) + 0.3


def test_a_member_whose_edges_reach_no_basis_member_gets_no_vector() -> None:
    weights, ids = two_taste_market()
    basis = factorize(weights, ids, DIM)
    assert fold_in(basis, {"stranger": 1.0}, {}) is None


def test_a_match_weighs_both_directions_and_repeated_likes_count_once() -> None:
    edges = edge_set([("a", "like", "b"), ("a", "like", "b"), ("b", "match", "a")])
    assert edges.weights() == {("a", "b"): 2.0, ("b", "a"): 1.0}


def test_the_sparse_solver_agrees_with_the_dense_one_on_a_larger_graph() -> None:
    rng = np.random.default_rng(5)
    ids = [f"u{i}" for i in range(700)]
    weights = {(ids[a], ids[b]): 1.0 for a, b in rng.integers(0, 700, size=(6000, 2)) if a != b}
    sparse = factorize(weights, ids, 8, seed=1, dense_limit=100)  # ARPACK
    dense = factorize(weights, ids, 8, dense_limit=10_000)  # LAPACK
    np.testing.assert_allclose(sparse.singular_values, dense.singular_values, rtol=1e-6)
