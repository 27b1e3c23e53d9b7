"""Request builders: pure functions from a viewer's profile to template requests.

The stored templates (``scripts/mutuo-recommend.mustache``, ``scripts/mutuo-search.mustache``)
hold every rule; a caller only hands them the viewer's profile as ``GET profiles/_doc/ID``
returns it. That is the whole app-backend protocol, in any language:

1. ``GET profiles/_doc/<viewer id>``;
2. ``POST profiles/_search/template`` with
   ``{"id": "mutuo-recommend", "params": {"viewer_id": <id>, "viewer": <_source>, "size": 20}}``.

Template parameters are data: strings are JSON-escaped by mustache, so no parameter can add
a query clause. ``recommend_request`` also passes ``distance_split`` (derived from the
viewer, :func:`distance_split`): the template then renders fewer distance clauses; a caller
that leaves it out gets the same hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import MutuoError
from ..sync.derive import DISTANCE_STEPS_KM

PROFILES = "profiles"
RECOMMEND_TEMPLATE = "mutuo-recommend"
SEARCH_TEMPLATE = "mutuo-search"
DEFAULT_WINDOW = 200  # documents the LTR model reranks
MAX_SIZE = DEFAULT_WINDOW


@dataclass(frozen=True)
class RankingOptions:
    """Knobs of the ranking stages; None leaves the template's default."""

    model: str | None = None  # the LTR model (default: the promoted one)
    window: int | None = None
    candidates: int | None = None
    graph_candidates: int | None = None
    # The marketplace stage, in units of the model's score spread: a candidate's score
    # moves by at most (exposure_strength + explore_weight) x score_spread.
    exposure_strength: float | None = None
    explore_weight: float | None = None
    score_spread: float | None = None  # default: the promoted model's (its model card)
    # k of the reserved candidate source (members the marketplace lifts: new or
    # under-exposed); 0 turns it off
    balance_candidates: int | None = None

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "model": self.model,
            "window": self.window,
            "candidates": self.candidates,
            "graph_candidates": self.graph_candidates,
            "exposure_strength": self.exposure_strength,
            "explore_weight": self.explore_weight,
            "score_spread": self.score_spread,
        }
        for name in ("exposure_strength", "explore_weight"):
            value = values[name]
            if value is not None and value < 0:
                raise MutuoError(f"{name} must be >= 0 (function_score refuses negative scores)")
        if self.score_spread is not None and not self.score_spread > 0:
            raise MutuoError(f"score_spread must be > 0, got {self.score_spread}")
        if self.balance_candidates is not None:
            if self.balance_candidates < 0:
                raise MutuoError(f"balance_candidates must be >= 0, got {self.balance_candidates}")
            if self.balance_candidates == 0:
                values["no_balance_candidates"] = True
            else:
                values["balance_candidates"] = self.balance_candidates
        return {k: v for k, v in values.items() if v is not None}

    def window_size(self) -> int:
        return self.window or DEFAULT_WINDOW


def check_size(size: int, options: RankingOptions) -> None:
    """A page larger than the rescore window would show documents no stage ranked."""
    if not 1 <= size <= options.window_size():
        raise MutuoError(
            f"k must be between 1 and the window ({options.window_size()}), got {size}"
        )


def distance_split(viewer: dict[str, Any]) -> dict[str, list[int]] | None:
    """The distance steps that need a ``geo_distance`` clause for this viewer, and the others.

    The hard filter keeps a member when the distance is within the viewer's limit and within
    the member's own step. A step at or above the viewer's limit is implied by the viewer's
    clause, so ``far_km`` members pass on their step alone (one ``terms`` clause) and only
    ``near_km`` steps need their own distance clause: about half of the dozen steps' clauses
    (each a ``bool``, a ``term`` and a ``geo_distance``, in each of the four copies of the
    hard filter) are neither rendered, nor parsed, nor run. None (every step gets its
    clause) when the viewer has no numeric limit or no location: then the viewer's clause
    does not bound the distance.

    >>> distance_split({"max_distance_step_km": 25, "location": {"lat": 0, "lon": 0}})
    {'near_km': [1, 2, 5, 10], 'far_km': [25, 50, 100, 200, 500, 1000, 2500, 20040]}
    """
    limit = viewer.get("max_distance_step_km")
    if not isinstance(limit, int | float) or isinstance(limit, bool) or not viewer.get("location"):
        return None
    return {
        "near_km": [s for s in DISTANCE_STEPS_KM if s < limit],
        "far_km": [s for s in DISTANCE_STEPS_KM if s >= limit],
    }


def recommend_request(
    viewer_id: str,
    viewer: dict[str, Any],
    size: int = 20,
    log_features: bool = False,
    options: RankingOptions = RankingOptions(),
) -> dict[str, Any]:
    """The ``_search/template`` body of a recommendation for ``viewer``; ``log_features``
    has every hit carry its LTR feature values (``fields._ltrlog``)."""
    check_size(size, options)
    params: dict[str, Any] = {"viewer_id": viewer_id, "viewer": viewer, "size": size}
    if log_features:
        params["log_features"] = True
    split = distance_split(viewer)
    if split is not None:
        params["distance_split"] = split
    return {"id": RECOMMEND_TEMPLATE, "params": {**params, **options.params()}}


def search_request(
    text: str,
    query_vector: Sequence[float] | None = None,
    viewer_id: str | None = None,
    viewer: dict[str, Any] | None = None,
    size: int = 20,
    log_features: bool = False,
    exclude_seen: bool = False,
    options: RankingOptions = RankingOptions(),
) -> dict[str, Any]:
    """The ``_search/template`` body of a people search (signed in when ``viewer_id``)."""
    check_size(size, options)
    if (viewer_id is None) != (viewer is None):
        raise MutuoError("give both viewer_id and viewer (their profile), or neither")
    params: dict[str, Any] = {"query_text": text, "size": size}
    if query_vector is not None:
        params["query_vector"] = [float(v) for v in query_vector]
    if viewer_id is not None:
        params.update(viewer_id=viewer_id, viewer=viewer)
        if log_features:
            params["log_features"] = True
        if exclude_seen:
            params["exclude_seen"] = True
    return {"id": SEARCH_TEMPLATE, "params": {**params, **options.params()}}


def msearch_body(requests: Sequence[dict[str, Any]], index: str = PROFILES) -> list[dict[str, Any]]:
    """``_msearch/template`` lines: one header and one body per request."""
    lines: list[dict[str, Any]] = []
    for request in requests:
        lines += [{"index": index}, request]
    return lines
