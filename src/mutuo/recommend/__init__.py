"""Recommendations and people search: request builders (pure functions, :mod:`.requests`)
and the :class:`Recommender` service that runs them against any OpenSearch client."""

from .requests import RankingOptions, recommend_request, search_request
from .results import Explanation, FeatureValue, Recommendation, Recommendations
from .service import Recommender

__all__ = [
    "Explanation",
    "FeatureValue",
    "RankingOptions",
    "Recommendation",
    "Recommendations",
    "Recommender",
    "recommend_request",
    "search_request",
]
