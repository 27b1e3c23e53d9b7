"""BM25 as OpenSearch 3.x scores it: Lucene's BM25Similarity, float32, one-byte norms.

Expected values come from a by-hand evaluation of the formula written out independently
below, and from OpenSearch's documentation (printed scores and explanations, produced by
2.x, whose default scorer is the ``LegacyBM25`` similarity type of 3.x).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mutuo.engine.explanation import java_float
from mutuo.engine.similarity import BM25, byte4_to_int, int_to_byte4

LEGACY = {"index": {"similarity": {"default": {"type": "LegacyBM25"}}}}


def lucene_bm25(
    freq: float, dl: int, avgdl: float, n: int, big_n: int, boost: float = 1.0, legacy: bool = False
) -> float:
    """The score written out from Lucene's BM25Scorer (LegacyBM25: boost times 1 + k1)."""
    f32 = np.float32
    idf = f32(math.log(1 + (big_n - n + 0.5) / (n + 0.5)))
    weight = ((f32(boost) * (f32(1) + f32(1.2))) if legacy else f32(boost)) * idf
    norm_dl = f32(byte4_to_int(int_to_byte4(dl)))
    inv = f32(1) / (f32(1.2) * ((f32(1) - f32(0.75)) + f32(0.75) * norm_dl / f32(avgdl)))
    return float(weight - weight / (f32(1) + f32(freq) * inv))


def test_documented_explain_numbers_are_reproduced_by_legacy_bm25() -> None:
    # OpenSearch docs, Explain API example: n=154, N=4675, freq=1, dl=1, avgdl=1.1206417
    sim = BM25(legacy=True)
    idf = sim.idf_scalar(154, 4675)
    assert java_float(idf) == 3.4100041
    weight = sim.weight(1.0, idf)
    assert java_float(sim.scorer_boost(1.0)) == 2.2
    cache = sim.norm_cache(1.1206417)
    score = sim.score(weight, np.array([1]), np.array([1], dtype=np.uint8), cache)[0]
    assert java_float(score) == 3.5671005


def test_default_bm25_has_no_k1_plus_one_factor() -> None:
    legacy, default = BM25(legacy=True), BM25()
    assert java_float(legacy.scorer_boost(1.0)) == 2.2
    assert default.scorer_boost(1.0) == np.float32(1.0)


def test_single_document_match_scores_its_idf_under_legacy_bm25(make_index) -> None:
    # OpenSearch 2.x docs (script_score page): {"name": "John Doe"} matched by "John" -> 0.2876821
    client = make_index("testindex1", [{"name": "John Doe", "multiplier": 0.5}], settings=LEGACY)
    hits = client.search(index="testindex1", body={"query": {"match": {"name": "John"}}})["hits"]
    assert hits["max_score"] == 0.2876821
    assert hits["hits"][0]["_score"] == 0.2876821


def test_single_document_match_under_default_bm25(make_index) -> None:
    client = make_index("testindex2", [{"name": "John Doe", "multiplier": 0.5}])
    hits = client.search(index="testindex2", body={"query": {"match": {"name": "John"}}})["hits"]
    assert hits["hits"][0]["_score"] == java_float(lucene_bm25(1, 2, 2.0, 1, 1))


def test_multi_term_match_sums_term_scores_like_lucene(make_index) -> None:
    docs = ["Let the wind rise", "Gone with the wind", "Rise is gone"]
    client = make_index("wind", [{"title": t} for t in docs])
    hits = client.search(index="wind", body={"query": {"match": {"title": "wind rise"}}})["hits"][
        "hits"
    ]
    avgdl = float(np.float32(11 / 3))
    wind = lucene_bm25(1, 4, avgdl, 2, 3)
    rise = lucene_bm25(1, 4, avgdl, 2, 3)
    assert hits[0]["_id"] == "1"
    assert hits[0]["_score"] == java_float(np.float32(float(wind) + float(rise)))
    only_rise = lucene_bm25(1, 3, avgdl, 2, 3)
    assert {h["_id"]: h["_score"] for h in hits}["3"] == java_float(only_rise)


@pytest.mark.parametrize("length", [3, 24, 41, 100, 150])
def test_long_fields_score_with_the_lossy_norm(make_index, length: int) -> None:
    texts = ["alpha " + " ".join(["filler"] * (length - 1)), "alpha beta"]
    client = make_index("norms", [{"body": t} for t in texts])
    hits = client.search(index="norms", body={"query": {"term": {"body": "alpha"}}})["hits"]["hits"]
    avgdl = float(np.float32((length + 2) / 2))
    expected = lucene_bm25(1, length, avgdl, 2, 2)
    assert {h["_id"]: h["_score"] for h in hits}["1"] == java_float(expected)


def test_query_boost_enters_the_term_weight(make_index) -> None:
    client = make_index("boosted", [{"t": "a b"}, {"t": "a"}, {"t": "c"}])
    plain = client.search(index="boosted", body={"query": {"match": {"t": "a"}}})["hits"]["hits"]
    boosted = client.search(
        index="boosted", body={"query": {"match": {"t": {"query": "a", "boost": 3}}}}
    )["hits"]["hits"]
    for p, b in zip(plain, boosted, strict=True):
        n = 2
        dl = 2 if p["_id"] == "1" else 1
        avgdl = float(np.float32(4 / 3))
        assert b["_score"] == java_float(lucene_bm25(1, dl, avgdl, n, 3, boost=3.0))
        assert p["_score"] == java_float(lucene_bm25(1, dl, avgdl, n, 3))


def test_bool_boost_propagates_to_leaves(make_index) -> None:
    client = make_index("bb", [{"t": "a b"}, {"t": "a"}])
    body = {"query": {"bool": {"should": [{"match": {"t": "a"}}], "boost": 2.5}}}
    hits = client.search(index="bb", body=body)["hits"]["hits"]
    assert hits[0]["_score"] == java_float(lucene_bm25(1, 1, 1.5, 2, 2, boost=2.5))


def test_repeated_query_terms_collapse_into_one_boosted_clause(make_index) -> None:
    client = make_index("dup", [{"t": "wind"}, {"t": "rain"}])
    once = client.search(index="dup", body={"query": {"match": {"t": "wind"}}})["hits"]["hits"][0][
        "_score"
    ]
    twice = client.search(index="dup", body={"query": {"match": {"t": "wind wind"}}})["hits"][
        "hits"
    ][0]["_score"]
    assert twice == java_float(lucene_bm25(1, 1, 1.0, 1, 2, boost=2.0))
    assert twice > once


def test_similarity_settings_change_k1_and_b(make_index) -> None:
    settings = {"index": {"similarity": {"flat": {"type": "BM25", "k1": 2.0, "b": 0.0}}}}
    mappings = {"properties": {"t": {"type": "text", "similarity": "flat"}}}
    client = make_index("sim", [{"t": "a b c d"}, {"t": "a"}], mappings, settings)
    hits = client.search(index="sim", body={"query": {"match": {"t": "a"}}})["hits"]["hits"]
    # b = 0: length does not matter, both documents score the same
    assert hits[0]["_score"] == hits[1]["_score"]
    idf = np.float32(math.log(1 + 0.5 / 2.5))
    weight = idf
    assert hits[0]["_score"] == java_float(
        weight - weight / (np.float32(1) + np.float32(1) / np.float32(2.0))
    )


def test_boolean_similarity_scores_the_boost(make_index) -> None:
    settings = {"index": {"similarity": {"yes_no": {"type": "boolean"}}}}
    mappings = {"properties": {"t": {"type": "text", "similarity": "yes_no"}}}
    client = make_index("boolsim", [{"t": "a a a b"}, {"t": "a"}], mappings, settings)
    hits = client.search(
        index="boolsim", body={"query": {"match": {"t": {"query": "a b", "boost": 2}}}}
    )["hits"]["hits"]
    assert [h["_score"] for h in hits] == [4.0, 2.0]


def test_unsupported_similarity_is_refused(make_index) -> None:
    from opensearchpy import RequestError

    settings = {"index": {"similarity": {"dfr": {"type": "DFR"}}}}
    mappings = {"properties": {"t": {"type": "text", "similarity": "dfr"}}}
    client = make_index("dfr", [{"t": "a"}], mappings, settings)
    with pytest.raises(RequestError) as info:
        client.search(index="dfr", body={"query": {"match": {"t": "a"}}})
    assert "DFR" in str(info.value.info)


def test_explanation_tree_follows_lucene_wording(make_index) -> None:
    client = make_index("expl", [{"t": "a b"}, {"t": "a"}])
    result = client.explain(index="expl", id="2", body={"query": {"match": {"t": "a"}}})
    assert result["matched"] is True
    top = result["explanation"]
    assert top["description"] == "weight(t:a in 1) [PerFieldSimilarity], result of:"
    score = top["details"][0]
    assert score["description"] == "score(freq=1.0), computed as boost * idf * tf from:"
    assert [d["description"] for d in score["details"]] == [
        "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:",
        "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:",
    ]
    assert (
        score["details"][0]["description"]
        == "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:"
    )
    assert score["details"][0]["details"][0] == {
        "value": 2,
        "description": "n, number of documents containing term",
        "details": [],
    }
    search = client.search(index="expl", body={"query": {"match": {"t": "a"}}})
    assert {h["_id"]: h["_score"] for h in search["hits"]["hits"]}["2"] == top["value"]


def test_keyword_term_scores_a_constant_unless_use_similarity(make_index) -> None:
    mappings = {
        "properties": {"k": {"type": "keyword"}, "s": {"type": "keyword", "use_similarity": True}}
    }
    client = make_index(
        "kw", [{"k": "x", "s": "x"}, {"k": "y", "s": "y"}, {"k": "x", "s": "x"}], mappings
    )
    constant = client.search(
        index="kw", body={"query": {"term": {"k": {"value": "x", "boost": 3}}}}
    )
    assert [h["_score"] for h in constant["hits"]["hits"]] == [3.0, 3.0]
    scored = client.search(index="kw", body={"query": {"term": {"s": "x"}}})["hits"]["hits"]
    assert scored[0]["_score"] == java_float(lucene_bm25(1, 1, 1.0, 2, 3))
