"""``multi_match``: a ``match`` (or ``match_phrase``) per field, combined by ``type``.

* ``best_fields`` (default): dis_max over the fields, plus ``tie_breaker`` x the others;
* ``most_fields``: the sum over the fields (a ``should`` boolean);
* ``phrase``: dis_max of ``match_phrase`` per field.

Fields accept ``^boost`` suffixes and wildcards; without ``fields`` the index's
``index.query.default_field`` (default ``*``) applies. ``cross_fields``,
``phrase_prefix`` and ``bool_prefix`` are refused rather than approximated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation, java_float_str
from ..fields import KEYWORD, TEXT
from ..search_context import SearchContext
from . import Matches, Query, parse_boost, parse_common, register
from .dis_max import combine_dis_max
from .match import Match
from .match_phrase import MatchPhrase

_OPTIONS = {
    "query",
    "fields",
    "type",
    "operator",
    "minimum_should_match",
    "tie_breaker",
    "analyzer",
    "lenient",
    "zero_terms_query",
    "auto_generate_synonyms_phrase_query",
    "slop",
    "prefix_length",
    "max_expansions",
    "fuzzy_transpositions",
}
_TYPES = ("best_fields", "most_fields", "phrase")
_REFUSED_TYPES = ("cross_fields", "phrase_prefix", "bool_prefix")


@register("multi_match")
class MultiMatch(Query):
    cost = 1
    uses_domain = True

    def __init__(self, text: Any, fields: list[tuple[str, float]], kind: str) -> None:
        self.text = text
        self.fields = fields
        self.kind = kind
        self.tie_breaker = 0.0
        self.spec: dict[str, Any] = {}

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict) or "query" not in body:
            raise ParsingError("No text specified for multi_match query")
        kind = str(body.get("type", "best_fields")).lower()
        if kind in _REFUSED_TYPES:
            raise ParsingError(
                f"[multi_match] type [{kind}] is not supported by the embedded engine"
            )
        if kind not in _TYPES:
            raise ParsingError(f"failed to parse [multi_match] query type [{kind}]. unknown type.")
        for key in ("fuzziness", "cutoff_frequency"):
            if key in body:
                raise ParsingError(
                    f"[multi_match] option [{key}] is not supported by the embedded engine"
                )
        raw = body.get("fields", [])
        fields = [_field_boost(f) for f in ([raw] if isinstance(raw, str) else raw)]
        query = cls(body["query"], fields, kind)
        parse_common(query, body, _OPTIONS, "multi_match")
        query.tie_breaker = float(np.float32(body.get("tie_breaker", 0.0)))
        query.spec = body
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def per_field(self, ctx: SearchContext) -> list[tuple[Query, float]]:
        """The per-field queries with their field boosts (wildcards expanded)."""
        requested = self.fields or [(p, 1.0) for p in _default_fields(ctx)]
        out: list[tuple[Query, float]] = []
        for pattern, boost in requested:
            names = ctx.mapping.matching_fields(pattern)
            if "*" in pattern:
                names = [n for n in names if ctx.kind(n) in (TEXT, KEYWORD)]
            for name in names:
                out.append((self._field_query(name), boost))
        return out

    def _field_query(self, field: str) -> Query:
        if self.kind == "phrase":
            phrase = MatchPhrase(field, self.text)
            phrase.zero_terms_query = str(self.spec.get("zero_terms_query", "none")).lower()
            return phrase
        match = Match(field, self.text)
        match.configure(self.spec)
        match.lenient = bool(self.spec.get("lenient", False)) or not self.fields
        return match

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        queries = self.per_field(ctx)
        if not queries:
            return ctx.none()
        results = [
            q.run(ctx, scoring, float(np.float32(boost) * np.float32(b))) for q, b in queries
        ]
        return self.combine(results, scoring, ctx.maxdoc)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        queries = self.per_field(ctx)
        results = [
            q.run_window(ctx, ordinals, scoring, float(np.float32(boost) * np.float32(b)))
            for q, b in queries
        ]
        if not results:
            return Matches(np.zeros(len(ordinals), dtype=bool), None, 0.0)
        return self.combine(results, scoring, len(ordinals))

    def combine(self, results: list[Matches], scoring: bool, n: int) -> Matches:
        """The per-field results as one (``n`` rows: the shard's, or a window's)."""
        mask = np.zeros(n, dtype=bool)
        for m in results:
            mask |= m.mask
        if not scoring:
            return Matches(mask, None, 1.0)
        if len(results) == 1:
            return results[0]
        scores = [m.score_array() for m in results]
        if self.kind == "most_fields":
            total = np.zeros(n, dtype=np.float64)
            for s, m in zip(scores, results, strict=True):
                total += np.where(m.mask, s, np.float32(0))
            return Matches(mask, total.astype(np.float32), 0.0)
        return Matches(
            mask, combine_dis_max(scores, [m.mask for m in results], self.tie_breaker), 0.0
        )

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        queries = self.per_field(ctx)
        subs = [
            q.explain_doc(ctx, ordinal, float(np.float32(boost) * np.float32(b)))
            for q, b in queries
        ]
        matched = [e for e in subs if e.match]
        if len(subs) == 1:
            return subs[0]
        if not matched:
            return Explanation.no_match("No matching clause")
        score = float(self.weighted(ctx, True, boost).score_array()[ordinal])
        if self.kind == "most_fields":
            return Explanation(score, "sum of:", matched)
        text = (
            "max of:"
            if self.tie_breaker == 0
            else f"max plus {java_float_str(self.tie_breaker)} times others of:"
        )
        return Explanation(score, text, matched)


def _field_boost(spec: Any) -> tuple[str, float]:
    text = str(spec)
    name, sep, boost = text.partition("^")
    return (name, parse_boost(boost, "multi_match") if sep else 1.0)


def _default_fields(ctx: SearchContext) -> list[str]:
    value = ctx.index.settings.get("index.query.default_field", "*")
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items]
