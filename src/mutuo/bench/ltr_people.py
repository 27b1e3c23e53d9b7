"""The people index and the 40-feature set that ``mutuo bench ltr`` rescores with.

A people recommender's features are mostly about the candidate (activity and reply
counters, rates, exposure), some compare the candidate with the viewer (interest and
bio overlap, age and distance fit, vector similarities), and a few combine others. The
set mixes them the way ``ltr_models/`` feature sets do:

* 16 ``function_score`` + ``field_value_factor`` on the candidate's numeric signals;
* 4 ``function_score`` decays: age around the viewer's age, distance from the viewer,
  recency of activity, age-range fit;
* 12 ``match`` features: 4 text fields x 3 viewer texts (interests, bio words, skills);
* 4 ``script_score`` with the k-NN plugin's ``knn_score`` script: the candidate's
  profile/taste/graph vectors against the viewer's;
* 4 ``derived_expression`` features over features that match every document (the
  plugin logs a derived feature with unmatched inputs read as 0, while an XGBoost model
  scores it with them missing: over always-matching inputs the two agree, so the logged
  matrix is exactly what the model scores).

Every viewer brings different params, so each request renders and parses its own
templates, as in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

FIELDS = ("headline", "bio", "interests", "skills")
VOCABULARY = [f"w{i}" for i in range(2000)]
NUMERIC = (
    "impressions_1d",
    "impressions_7d",
    "likes_received_7d",
    "likes_sent_7d",
    "like_rate",
    "reply_rate",
    "matches_7d",
    "messages_7d",
    "exposure_factor",
    "explore_bonus",
    "photos",
    "profile_completeness",
    "age",
    "age_min",
    "age_max",
    "max_distance_km",
)
VECTORS = {"profile_vector": 384, "taste_vector": 384, "graph_vector": 64}
TEXT_PARAMS = ("interests_q", "bio_q", "skills_q")
NOW_MS = 1_750_000_000_000
DAY_MS = 86_400_000


def mapping() -> dict[str, Any]:
    properties: dict[str, Any] = {field: {"type": "text"} for field in FIELDS}
    properties.update({name: {"type": "float"} for name in NUMERIC})
    properties.update(
        {
            "status": {"type": "keyword"},
            "location": {"type": "geo_point"},
            "last_active_at": {"type": "date"},
        }
    )
    for name, dimension in VECTORS.items():
        properties[name] = {
            "type": "knn_vector",
            "dimension": dimension,
            "space_type": "cosinesimil",
        }
    return {"properties": properties}


def _words(rng: np.random.Generator, count: int) -> str:
    """Zipf-like word choice: common words have long postings, as in real profiles."""
    ranks = np.minimum(rng.zipf(1.3, size=count), len(VOCABULARY)) - 1
    return " ".join(VOCABULARY[r] for r in ranks)


def _unit(rng: np.random.Generator, dimension: int) -> list[float]:
    vector = rng.normal(size=dimension)
    return [round(float(v), 5) for v in vector / np.linalg.norm(vector)]


def profile(rng: np.random.Generator) -> dict[str, Any]:
    doc: dict[str, Any] = {field: _words(rng, int(rng.integers(3, 40))) for field in FIELDS}
    for name in NUMERIC:
        if rng.random() < 0.9:  # signals of new members are absent until computed
            doc[name] = round(float(rng.gamma(2.0, 10.0)), 3)
    doc["age"] = int(rng.integers(18, 70))
    doc["status"] = "active" if rng.random() < 0.9 else "paused"
    doc["location"] = {"lat": float(rng.uniform(37, 38.5)), "lon": float(rng.uniform(-123, -121))}
    doc["last_active_at"] = NOW_MS - int(rng.integers(0, 60 * DAY_MS))
    for name, dimension in VECTORS.items():
        if name != "taste_vector" or rng.random() < 0.7:  # cold members have no taste yet
            doc[name] = _unit(rng, dimension)
    return doc


def profiles(count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield profile(rng)


def viewer_params(rng: np.random.Generator) -> dict[str, Any]:
    """The ``sltr`` params of one viewer: their texts, age, place and vectors."""
    params: dict[str, Any] = {name: _words(rng, 4) for name in TEXT_PARAMS}
    params["age"] = int(rng.integers(18, 70))
    params["lat"] = float(rng.uniform(37, 38.5))
    params["lon"] = float(rng.uniform(-123, -121))
    params["now"] = NOW_MS
    for name, dimension in VECTORS.items():
        params[name] = _unit(rng, dimension)
    return params


def _fvf(field: str, modifier: str) -> dict[str, Any]:
    function = {"field": field, "modifier": modifier, "missing": 0}
    return {"function_score": {"field_value_factor": function, "boost_mode": "replace"}}


def _decay(kind: str, field: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"function_score": {kind: {field: spec}, "boost_mode": "replace"}}


def _knn(field: str, viewer_vector: str) -> str:
    """A template *string*: the vector param is rendered as a JSON array, unquoted."""
    params = {"field": field, "query_value": "VECTOR", "space_type": "cosinesimil"}
    script = {"source": "knn_score", "lang": "knn", "params": params}
    text = json.dumps({"script_score": {"query": {"match_all": {}}, "script": script}})
    return text.replace('"VECTOR"', f"{{{{#toJson}}}}{viewer_vector}{{{{/toJson}}}}")


def _feature(name: str, params: list[str], template: Any) -> dict[str, Any]:
    return {"name": name, "params": params, "template_language": "mustache", "template": template}


def features() -> list[dict[str, Any]]:
    """The 40 features, in ordinal order (names are the model's feature names)."""
    out = [
        _feature(name, [], _fvf(name, "log1p" if "impressions" in name else "none"))
        for name in NUMERIC
    ]
    out += [
        _feature("age_fit", ["age"], _decay("gauss", "age", {"origin": "{{age}}", "scale": 5})),
        _feature(
            "distance",
            ["lat", "lon"],
            _decay("gauss", "location", {"origin": "{{lat}},{{lon}}", "scale": "20km"}),
        ),
        _feature(
            "recency",
            ["now"],
            _decay("exp", "last_active_at", {"origin": "{{now}}", "scale": "7d"}),
        ),
        _feature(
            "age_range_fit",
            ["age"],
            _decay("linear", "age_min", {"origin": "{{age}}", "scale": 10, "offset": 2}),
        ),
    ]
    out += [
        _feature(f"{field}_{param[:-2]}", [param], {"match": {field: f"{{{{{param}}}}}"}})
        for field in FIELDS
        for param in TEXT_PARAMS
    ]
    out += [
        _feature("profile_sim", ["profile_vector"], _knn("profile_vector", "profile_vector")),
        _feature("taste_sim", ["taste_vector"], _knn("profile_vector", "taste_vector")),
        _feature("they_like_me", ["profile_vector"], _knn("taste_vector", "profile_vector")),
        _feature("graph_sim", ["graph_vector"], _knn("graph_vector", "graph_vector")),
    ]
    derived = {
        "engagement": "like_rate * reply_rate",
        "attention_per_day": "impressions_7d / 7",
        "reciprocal_sim": "(profile_sim + they_like_me) / 2",
        "place_and_age_fit": "age_fit * distance",
    }
    out += [
        {"name": name, "params": [], "template_language": "derived_expression", "template": text}
        for name, text in derived.items()
    ]
    return out


def retrieval_query(params: dict[str, Any]) -> dict[str, Any]:
    """Candidates: active members, ranked by interest overlap (the retrieval stage)."""
    return {
        "bool": {
            "filter": [{"term": {"status": "active"}}],
            "should": [{"match": {"interests": params["interests_q"]}}],
        }
    }
