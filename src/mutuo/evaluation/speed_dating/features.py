"""The Speed Dating feature sets: each feature an ordinary OpenSearch query over ``profiles``.

A search is one viewer ranking some candidates; the viewer's own values come in as
``sltr`` params (their ``profile_vector``, their ``taste_vector`` or, for a viewer with no
like yet, their ``profile_vector`` again, and their interests as text). Features, for a
candidate *c* seen by viewer *v*:

* ``viewer_taste_fit``: v's taste against c's profile (``knn_score``, cosine): v's interest;
* ``candidate_taste_fit``: c's taste against v's profile: c's interest in v (0 when c has
  liked nobody yet);
* ``profile_similarity``: v's profile against c's profile;
* ``interest_overlap``: BM25 of v's interests in c's interests;
* ``candidate_like_rate``: the share of c's impressions that were liked (signals);
* ``candidate_likes_sent`` and ``candidate_impressions``: c's decayed likes given and times
  shown, and ``candidate_generosity``, their smoothed ratio (a derived expression): how
  readily c says yes to anyone;
* ``mutual_appeal``: the harmonic mean of c's like rate and generosity (derived).

Two sets: ``sd-one-sided`` keeps what speaks of the viewer's interest only (their taste,
the candidate's appeal, similarity and overlap); ``sd-reciprocal`` adds the candidate's
side (their taste for the viewer and their generosity). No Painless anywhere.
"""

from __future__ import annotations

import json
from typing import Any

from ...artifacts.kinds.ltr_featuresets import ensure_default_store

ONE_SIDED = "sd-one-sided"
RECIPROCAL = "sd-reciprocal"
PARAMS = ["profile", "taste", "interests"]
VECTOR = "@vector@"  # where a template's vector param goes


def _knn(field: str, vector_param: str) -> str:
    """A ``knn_score`` script_score template; the vector param is rendered as JSON."""
    body = {
        "script_score": {
            "query": {"match_all": {}},
            "script": {
                "source": "knn_score",
                "lang": "knn",
                "params": {"field": field, "query_value": VECTOR, "space_type": "cosinesimil"},
            },
        }
    }
    return json.dumps(body).replace(f'"{VECTOR}"', f"{{{{#toJson}}}}{vector_param}{{{{/toJson}}}}")


def _field(field: str, missing: float) -> str:
    body = {
        "function_score": {
            "query": {"match_all": {}},
            "field_value_factor": {"field": field, "missing": missing},
            "boost_mode": "replace",
        }
    }
    return json.dumps(body)


INTEREST_OVERLAP = '{"match": {"interests": {"query": "{{interests}}"}}}'

TEMPLATES: dict[str, str] = {
    "viewer_taste_fit": _knn("profile_vector", "taste"),
    "candidate_taste_fit": _knn("taste_vector", "profile"),
    "profile_similarity": _knn("profile_vector", "profile"),
    "interest_overlap": INTEREST_OVERLAP,
    "candidate_like_rate": _field("like_rate", 0.1),
    "candidate_likes_sent": _field("likes_sent_7d", 0.0),
    "candidate_impressions": _field("impressions_7d", 0.0),
}
# The prior of 1 yes in 3 (the experiment's overall yes rate is 42%) for a member shown
# rarely, so two yeses out of two do not read as 100%.
GENEROSITY = "(candidate_likes_sent + 1) / (candidate_impressions + 3)"
# A mutual yes needs the viewer to like the candidate (whom others like at
# candidate_like_rate) and the candidate to like the viewer (candidate_generosity): their
# harmonic mean is high only when both are, so neither side alone can carry it.
MUTUAL_APPEAL = (
    "2 * candidate_like_rate * candidate_generosity"
    " / (candidate_like_rate + candidate_generosity + 0.000001)"
)
DERIVED = {"candidate_generosity": GENEROSITY, "mutual_appeal": MUTUAL_APPEAL}

SETS: dict[str, list[str]] = {
    ONE_SIDED: [
        "viewer_taste_fit",
        "profile_similarity",
        "interest_overlap",
        "candidate_like_rate",
    ],
    RECIPROCAL: [
        "viewer_taste_fit",
        "candidate_taste_fit",
        "profile_similarity",
        "interest_overlap",
        "candidate_like_rate",
        "candidate_likes_sent",
        "candidate_impressions",
        "candidate_generosity",
        "mutual_appeal",
    ],
}


def _feature(name: str) -> dict[str, Any]:
    if name in DERIVED:
        return {
            "name": name,
            "params": [],
            "template_language": "derived_expression",
            "template": DERIVED[name],
        }
    return {
        "name": name,
        "params": list(PARAMS),
        "template_language": "mustache",
        "template": TEMPLATES[name],
    }


def feature_set_body(name: str) -> dict[str, Any]:
    return {"featureset": {"name": name, "features": [_feature(f) for f in SETS[name]]}}


def create_feature_sets(client: Any) -> None:
    """Both sets in the default feature store (``mutuo apply`` creates it with the product's
    feature set; a bare engine gets one)."""
    ensure_default_store(client)
    for name in SETS:
        client.plugins.ltr.create_featureset(id=name, body=feature_set_body(name))


def viewer_params(source: dict[str, Any]) -> dict[str, Any]:
    """The ``sltr`` params of a viewer from their profile document."""
    profile = source.get("profile_vector")
    if profile is None:
        raise ValueError("a viewer without profile_vector cannot be ranked for")
    return {
        "profile": profile,
        "taste": source.get("taste_vector") or profile,
        "interests": " ".join(source.get("interests") or []) or "none",
    }
