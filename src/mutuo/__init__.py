"""mutuo: a search-engine-native people recommender for two-sided marketplaces."""

from .client import connect, connect_async
from .errors import ArtifactError, ConfigError, ModelError, MutuoError, SourceError
from .recommend import (
    Explanation,
    FeatureValue,
    RankingOptions,
    Recommendation,
    Recommendations,
    Recommender,
)
from .settings import Settings

__version__ = "0.1.0"

__all__ = [
    "ArtifactError",
    "ConfigError",
    "Explanation",
    "FeatureValue",
    "ModelError",
    "MutuoError",
    "RankingOptions",
    "Recommendation",
    "Recommendations",
    "Recommender",
    "Settings",
    "SourceError",
    "__version__",
    "connect",
    "connect_async",
]
