"""Typed results of :class:`mutuo.Recommender` (plain frozen dataclasses, JSON-ready)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FeatureValue:
    """One LTR feature of one recommended member, as the engine computed it.

    ``value`` is None when the feature's query did not match (a missing value, which the
    model routes by its learnt default direction). ``contribution`` is what the feature
    added to the model's score (XGBoost's SHAP ``pred_contribs``, or weight x value for a
    linear model); None when the model is not in the local registry.
    """

    name: str
    value: float | None
    contribution: float | None = None


@dataclass(frozen=True)
class Explanation:
    """Why a member scored what they did: the model stage and the marketplace stage."""

    model: str | None
    model_score: float | None  # the LTR stage (sum of contributions and bias)
    bias: float | None  # the model's score before any feature (its expected value)
    marketplace: float | None  # final score minus model score: exposure and exploration
    features: tuple[FeatureValue, ...] = ()

    def top(self, n: int = 5) -> list[FeatureValue]:
        """The features that moved the score most, either way."""
        known = [f for f in self.features if f.contribution is not None]
        return sorted(known, key=lambda f: -abs(f.contribution or 0.0))[:n]


@dataclass(frozen=True)
class Recommendation:
    member_id: str
    rank: int  # 1-based position in the list
    score: float
    profile: dict[str, Any]  # the member's profile without vectors
    explanation: Explanation | None = None


@dataclass(frozen=True)
class Recommendations:
    """One ranked list, as shown to a viewer; ``query_id`` joins it to their events."""

    query_id: str
    viewer_id: str | None
    template: str
    items: tuple[Recommendation, ...]
    took_ms: int
    query_text: str = ""
    features: dict[str, list[float | None]] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[Recommendation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def ids(self) -> list[str]:
        return [r.member_id for r in self.items]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("features")
        return out
