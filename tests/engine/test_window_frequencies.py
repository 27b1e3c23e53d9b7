"""The compiled look-ups of the window path agree with plain numpy on any input."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuo.engine.queries.match import _sum_clauses
from mutuo.engine.queries.windowed import _gallop_frequencies, _term_scores

ORDINALS = st.integers(0, 300)


@settings(max_examples=300, deadline=None)
@given(
    posting=st.sets(ORDINALS, max_size=200),
    window=st.lists(ORDINALS, max_size=60),
    ascending=st.booleans(),
)
def test_galloping_finds_each_ordinal_s_frequency_in_the_posting_list(
    posting: set[int], window: list[int], ascending: bool
) -> None:
    docs = np.array(sorted(posting), dtype=np.int32)
    freqs = (np.arange(len(docs), dtype=np.int32) % 7) + 1
    ordinals = np.array(sorted(window) if ascending else window, dtype=np.int64)
    out = np.full(len(ordinals), -1, dtype=np.int32)
    _gallop_frequencies(docs, freqs, ordinals, out)
    by_doc = dict(zip(docs.tolist(), freqs.tolist(), strict=True))
    assert out.tolist() == [by_doc.get(o, 0) for o in ordinals.tolist()]


FLOATS = st.floats(0.0, 8.0, width=32)


@settings(max_examples=200, deadline=None)
@given(
    found=st.lists(st.lists(st.integers(0, 3), min_size=5, max_size=5), min_size=1, max_size=4),
    weights=st.lists(FLOATS, min_size=4, max_size=4),
    inv=st.lists(st.one_of(FLOATS, st.just(float("inf"))), min_size=5, max_size=5),
    live=st.lists(st.booleans(), min_size=5, max_size=5),
    bm25=st.booleans(),
)
def test_term_scores_are_numpy_s_float32_bm25_element_by_element(
    found: list[list[int]], weights: list[float], inv: list[float], live: list[bool], bm25: bool
) -> None:
    f = np.array(found, dtype=np.int32)
    w = np.array(weights[: len(found)], dtype=np.float32)[:, None]
    norms, alive = np.array(inv, dtype=np.float32), np.array(live)
    hits, scores = np.empty(f.shape, bool), np.empty(f.shape, np.float32)
    _term_scores(f, w[:, 0], norms, alive, bm25, hits, scores)
    expected_hits = (f > 0) & alive
    with np.errstate(invalid="ignore"):  # 0 * inf where a term is absent, then zeroed
        expected = w - w / (np.float32(1.0) + f.astype(np.float32) * norms) if bm25 else w + 0 * f
    expected = np.where(expected_hits, expected.astype(np.float32), np.float32(0))
    np.testing.assert_array_equal(hits, expected_hits)
    assert scores.tobytes() == expected.astype(np.float32).tobytes()


@settings(max_examples=200, deadline=None)
@given(
    scores=st.lists(st.lists(FLOATS, min_size=4, max_size=4), min_size=1, max_size=5),
    data=st.data(),
)
def test_clause_sums_add_each_query_s_rows_in_double_in_clause_order(
    scores: list[list[float]], data: st.DataObject
) -> None:
    matrix = np.array(scores, dtype=np.float32)
    hit = matrix > 1.0
    rows = st.lists(st.integers(0, len(scores) - 1), min_size=1, max_size=4)
    picks = data.draw(st.lists(rows, min_size=1, max_size=3))
    required = np.array(data.draw(st.lists(st.integers(0, 3), min_size=3, max_size=3)))[
        : len(picks)
    ]
    live = np.array(data.draw(st.lists(st.booleans(), min_size=4, max_size=4)))
    width = max(len(p) for p in picks)
    index = np.array([p + [-1] * (width - len(p)) for p in picks], dtype=np.int64)
    mask = np.empty((len(picks), 4), bool)
    result = np.empty((len(picks), 4), np.float32)
    _sum_clauses(hit, matrix, index, required, live, mask, result)
    for q, pick in enumerate(picks):
        total = np.zeros(4, dtype=np.float64)
        for row in pick:
            total += matrix[row]
        ok = (hit[pick].sum(axis=0) >= required[q]) & live
        np.testing.assert_array_equal(mask[q], ok)
        assert result[q].tobytes() == np.where(ok, total.astype(np.float32), 0).tobytes()
