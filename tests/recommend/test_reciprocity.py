"""Reciprocity: both directions are scored and combined so a one-sided match cannot win,
and ``--explain`` shows each feature's value and contribution."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from opensearchpy import OpenSearch

from mutuo.cli.app import cli
from mutuo.recommend import Recommender

from .market import Market, apply_artifacts, cluster_vector, member, viewer


def blend(a: list[float], b: list[float], share: float) -> list[float]:
    v = share * np.asarray(a) + (1 - share) * np.asarray(b)
    return (v / np.linalg.norm(v)).tolist()


def two_candidates(market: Market) -> None:
    """v (type 0) likes type 2. 'one_sided' is exactly v's type but likes type 5;
    'mutual' is a little less v's type and likes type 0 (v)."""
    rng = np.random.default_rng(1)
    mine, liked, other = (cluster_vector(c, rng, 0.0) for c in (0, 2, 5))
    market.add(
        {
            "v": viewer(vector=mine, taste_vector=liked),
            "one_sided": member(vector=liked, taste_vector=other),
            "mutual": member(vector=blend(liked, other, 0.8), taste_vector=blend(mine, other, 0.8)),
        }
    )


def test_a_mutual_match_outranks_a_closer_one_sided_one(market: Market) -> None:
    two_candidates(market)
    result = Recommender(market.client, log_queries=False).recommend("v", explain=True)
    assert result.ids() == ["mutual", "one_sided"]
    values = {r.member_id: {f.name: f.value for f in r.explanation.features} for r in result}  # type: ignore[union-attr]
    one, both = values["one_sided"], values["mutual"]
    assert one["taste_v2c"] > both["taste_v2c"]  # the viewer's side alone prefers one_sided
    for side in (one, both):
        a, b = side["taste_v2c"], side["taste_c2v"]
        assert side["taste_reciprocal"] == pytest.approx(2 * a * b / (a + b), rel=1e-5)
    assert both["taste_reciprocal"] > one["taste_reciprocal"]


def test_explain_prints_each_feature_with_its_value_and_contribution(
    client: OpenSearch, engine_path: str
) -> None:
    apply_artifacts(client)
    two_candidates(Market(client))
    url = ["--opensearch-url", f"embedded://{engine_path}"]
    result = CliRunner().invoke(cli, [*url, "recommend", "v", "--k", "2", "--explain"])
    assert result.exit_code == 0, result.output
    assert "#1 mutual: score" in result.output and "marketplace" in result.output
    assert "taste_reciprocal" in result.output and "contribution" in result.output
    assert "missing" in result.output  # no signals yet (like_rate ...), no query text

    as_json = CliRunner().invoke(cli, [*url, "recommend", "v", "--explain", "--json"])
    items = json.loads(as_json.output)["items"]
    explanation = items[0]["explanation"]
    weights = {"taste_reciprocal": 2.0, "taste_v2c": 0.5}  # ltr_models/models/mutuo-people-baseline
    features = {f["name"]: f for f in explanation["features"]}
    for name, weight in weights.items():
        assert features[name]["contribution"] == pytest.approx(
            weight * features[name]["value"], abs=1e-5
        )
    total = sum(f["contribution"] or 0.0 for f in explanation["features"])
    assert total == pytest.approx(explanation["model_score"], abs=1e-4)
    assert items[0]["score"] == pytest.approx(total + explanation["marketplace"], abs=1e-4)
