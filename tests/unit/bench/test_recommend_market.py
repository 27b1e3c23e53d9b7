"""The bench marketplace builds a member's document when it is indexed, from its arrays."""

from __future__ import annotations

import numpy as np

from mutuo.bench.recommend_market import DIM, GRAPH_DIM, build_market


def test_a_members_document_carries_its_rows_of_the_vector_arrays() -> None:
    market = build_market(40, seed=3)
    with_taste = [i for i in range(40) if market.taste[i].any()]
    assert 0 < len(with_taste) < 40  # some members have no taste yet
    for i in range(40):
        doc = market.document(i)
        assert doc == {**market.docs[i], **{k: doc[k] for k in doc if k.endswith("_vector")}}
        assert np.array_equal(np.float32(doc["profile_vector"]), market.profile[i])
        assert np.array_equal(np.float32(doc["graph_vector"]), market.graph[i])
        assert len(doc["profile_vector"]) == DIM and len(doc["graph_vector"]) == GRAPH_DIM
        if i in with_taste:
            assert np.array_equal(np.float32(doc["taste_vector"]), market.taste[i])
        else:
            assert "taste_vector" not in doc


def test_the_members_scalar_fields_hold_no_vectors() -> None:
    market = build_market(10, seed=3)
    assert not any(k.endswith("_vector") for doc in market.docs for k in doc)
    assert market.document(0)["status"] == market.docs[0]["status"]
