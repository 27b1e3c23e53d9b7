"""``function_score``: the query's score combined with score functions.

Per matching document the functions whose ``filter`` matches are combined by
``score_mode`` (multiply, sum, avg weighted by the functions' weights, first, max,
min; 1 when none applies), capped at ``max_boost`` and combined with the query score by
``boost_mode`` (multiply, replace, sum, avg, max, min), all in double and rounded to
float once, as OpenSearch's FunctionScoreQuery does. The query's ``boost`` reaches the
sub-query (so ``boost_mode: replace`` ignores it), ``min_score`` drops documents whose
final score is lower, and a negative or NaN final score is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import OpenSearchError, ParsingError
from ..explanation import Explanation, java_float_str
from ..search_context import SearchContext
from . import Matches, Query, parse_common, parse_query, register
from .functions import ScoreFunction, ScoreOne, is_function, parse_function

_SCORE_MODES = ("multiply", "sum", "avg", "first", "max", "min")
_BOOST_MODES = ("multiply", "replace", "sum", "avg", "max", "min")
_OPTIONS = {"query", "functions", "score_mode", "boost_mode", "max_boost", "min_score", "weight"}
FLOAT_MAX = float(np.finfo(np.float32).max)
# Score modes that leave a lone function's value unchanged (``1 * v``, or the only
# candidate of first/max/min); sum and avg compute with it.
_LONE_MODES = ("multiply", "first", "max", "min")


@dataclass
class FilterFunction:
    """One entry of ``functions``: an optional filter, a function, an optional weight."""

    function: ScoreFunction
    filter: Query | None = None
    weight: float | None = None

    def weight_or_one(self) -> float:
        return 1.0 if self.weight is None else self.weight


@register("function_score")
class FunctionScore(Query):
    cost = 1

    def __init__(self, query: Query | None) -> None:
        self.query = query
        self.functions: list[FilterFunction] = []
        self.score_mode = "multiply"
        self.boost_mode = "multiply"
        self.max_boost = FLOAT_MAX
        self.min_score: float | None = None

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[function_score] query malformed, no start_object after query name")
        query = cls(parse_query(body["query"]) if "query" in body else None)
        single = [k for k in body if is_function(k)]
        if "functions" in body and (single or "weight" in body):
            raise ParsingError(
                f"failed to parse [function_score] query. already found [functions] array, now encountering [{(single or ['weight'])[0]}]."
            )
        if len(single) > 1:
            raise ParsingError(
                f"failed to parse [function_score] query. already found function [{single[0]}], now "
                f"encountering [{single[1]}]. use [functions] array if you want to define several functions."
            )
        unknown = [
            k for k in body if k not in _OPTIONS and k not in single and k not in ("boost", "_name")
        ]
        if unknown:
            raise ParsingError(
                f"failed to parse [function_score] query. field [{unknown[0]}] is not supported"
            )
        if single:
            weight = _weight(body["weight"]) if "weight" in body else None
            query.functions = [
                FilterFunction(parse_function(single[0], body[single[0]]), None, weight)
            ]
        elif "weight" in body:
            query.functions = [FilterFunction(ScoreOne(), None, _weight(body["weight"]))]
        elif "functions" in body:
            query.functions = [_parse_entry(e) for e in body["functions"]]
        parse_common(
            query, {k: v for k, v in body.items() if k not in single}, _OPTIONS, "function_score"
        )
        query.score_mode = _choice(body.get("score_mode", "multiply"), _SCORE_MODES, "score_mode")
        query.boost_mode = _choice(body.get("boost_mode", "multiply"), _BOOST_MODES, "boost_mode")
        query.max_boost = float(np.float32(float(body.get("max_boost", FLOAT_MAX))))
        if body.get("min_score") is not None:
            query.min_score = float(np.float32(float(body["min_score"])))
        return query

    def children(self) -> list[Query]:
        subs = [self.query] if self.query is not None else []
        return subs + [f.filter for f in self.functions if f.filter is not None]

    def filter_key(self, ctx: SearchContext) -> Any:
        if self.min_score is not None or self.query is None:
            return None if self.min_score is not None else ("match_all",)
        return self.query.cached_filter_key(ctx)

    def _sub(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        if self.query is None:
            return ctx.everything(1.0).boosted(boost) if scoring else ctx.everything()
        return self.query.run(ctx, scoring, boost)

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        if not scoring and self.min_score is None:
            return self._sub(ctx, False, boost)
        sub = self._sub(ctx, True, boost)
        mask = sub.mask & ctx.live
        ordinals = ctx.domain_hits(mask)  # only the window's documents when one is set
        scores = np.zeros(ctx.maxdoc, dtype=np.float32)
        if len(ordinals):
            query_scores = (
                sub.scores[ordinals]
                if sub.scores is not None
                else np.full(len(ordinals), sub.constant, dtype=np.float32)
            )
            scores[ordinals] = self.final_scores(ctx, ordinals, query_scores)
        if self.min_score is not None:
            mask &= scores >= np.float32(self.min_score)
            scores[ordinals[~mask[ordinals]]] = 0
        return Matches(mask, scores, 0.0) if scoring else Matches(mask, None, 1.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        if not scoring and self.min_score is None:
            return self._sub_window(ctx, ordinals, False, boost)
        sub = self._sub_window(ctx, ordinals, True, boost)
        mask = sub.mask & ctx.live[ordinals]
        rows = np.flatnonzero(mask)
        scores = np.zeros(len(ordinals), dtype=np.float32)
        if len(rows):
            scores[rows] = self.final_scores(ctx, ordinals[rows], sub.score_array()[rows])
        if self.min_score is not None:
            mask &= scores >= np.float32(self.min_score)
            scores[~mask] = 0
        return Matches(mask, scores, 0.0) if scoring else Matches(mask, None, 1.0)

    def _sub_window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        if self.query is None:
            matches = Matches(ctx.live[ordinals], None, 1.0)
            return matches.boosted(boost) if scoring else matches
        return self.query.run_window(ctx, ordinals, scoring, boost)

    def final_scores(
        self, ctx: SearchContext, ordinals: np.ndarray, query_scores: np.ndarray
    ) -> np.ndarray:
        if not self.functions:
            return query_scores
        return self._final(ordinals, query_scores, self.factors(ctx, ordinals))

    def lone_function(self) -> ScoreFunction | None:
        """The function whose values alone make this query's window scores, when it is
        the query's only function (no filter, a score mode that leaves one value as it
        is, no ``min_score``, no sub-query, no ``_name``); None otherwise. Callers that
        score many such queries over one window compute those values together and
        finish each with :func:`windows_from_values`."""
        if self.query is not None or self.min_score is not None or self.query_name is not None:
            return None
        entry = self._lone_entry()
        return None if entry is None else entry.function

    def _lone_entry(self) -> FilterFunction | None:
        """The only function, when it has no filter and the score mode leaves its value as
        it is (``1 * v``, or the only candidate of first/max/min; sum adds it to 0, avg
        divides by the weight); None otherwise."""
        if (
            len(self.functions) != 1
            or self.functions[0].filter is not None
            or self.score_mode not in _LONE_MODES
        ):
            return None
        return self.functions[0]

    def _final(
        self, ordinals: np.ndarray, query_scores: np.ndarray, factor: np.ndarray
    ) -> np.ndarray:
        f = np.minimum(factor, float(self.max_boost))
        if self.boost_mode == "replace":  # the query score is not read
            final = f.astype(np.float32)
        else:
            final = _combine(self.boost_mode, query_scores.astype(np.float64), f).astype(np.float32)
        bad = ~(final >= 0)  # negative or NaN
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise OpenSearchError(
                f"function score query returned an invalid score: {java_float_str(float(final[i]))} for doc: {int(ordinals[i])}"
            )
        return final

    def factors(self, ctx: SearchContext, ordinals: np.ndarray) -> np.ndarray:
        """The combined function factor of each ordinal (double)."""
        n = len(ordinals)
        lone = self._lone_entry() if n else None
        if lone is not None:  # its value is the factor: no combination to compute
            value = np.asarray(lone.function.values(ctx, ordinals), dtype=np.float64)
            return value * lone.weight if lone.weight is not None else value
        applies, values = [], []
        for entry in self.functions:
            where = (
                np.ones(n, dtype=bool)
                if entry.filter is None
                else _filter_rows(ctx, entry.filter, ordinals)
            )
            value = np.ones(n, dtype=np.float64)
            if where.any():
                value[where] = entry.function.values(ctx, ordinals[where])
                if entry.weight is not None:
                    value = value * entry.weight
            applies.append(where)
            values.append(value)
        return _score_mode(
            self.score_mode, applies, values, [e.weight_or_one() for e in self.functions], n
        )

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if self.query is None:
            expl = Explanation(
                boost, "*:*" if np.float32(boost) == 1 else f"*:*^{java_float_str(boost)}"
            )
            if not ctx.live[ordinal]:
                return Explanation.no_match("*:* doesn't match id")
        else:
            expl = self.query.explain_doc(ctx, ordinal, boost)
        if not expl.match or not self.functions:
            return expl
        subs = []
        for entry in self.functions:
            if entry.filter is not None and not entry.filter.run(ctx, False).mask[ordinal]:
                continue
            fexpl = entry.function.explain(ctx, ordinal)
            if entry.weight is not None:
                weighted = float(np.float32(float(fexpl.value)) * np.float32(entry.weight))
                fexpl = Explanation(
                    weighted, "product of:", [fexpl, Explanation(entry.weight, "weight")]
                )
            if entry.filter is not None:
                match = Explanation(
                    1.0, f"match filter{entry.function.name_func()}: {entry.filter.lucene_string()}"
                )
                fexpl = Explanation(fexpl.value, "function score, product of:", [match, fexpl])
            subs.append(fexpl)
        single = len(self.functions) == 1 and self.functions[0].filter is None
        ords = np.array([ordinal])
        if not subs:
            factor = Explanation(1.0, "No function matched")
        elif single and len(subs) == 1:
            factor = subs[0]
        else:
            value = float(np.float32(self.factors(ctx, ords)[0]))
            factor = Explanation(value, f"function score, score mode [{self.score_mode}]", subs)
        combined = _combine_explanation(self.boost_mode, expl, factor, self.max_boost)
        if self.min_score is not None and self.min_score > float(combined.value):
            return Explanation.no_match(
                f"Score value is too low, expected at least {java_float_str(self.min_score)} but got {java_float_str(float(combined.value))}",
                combined,
            )
        return combined

    def lucene_string(self) -> str:
        inner = self.query.lucene_string() if self.query is not None else "*:*"
        return f"function score ({inner}, functions: [...])"


def windows_from_values(
    queries: list[FunctionScore], boosts: list[float], values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The window scores of queries with a :meth:`~FunctionScore.lone_function`, given
    those functions' float64 ``values`` (a row per query, a column per live document of
    the window; ``boosts`` are the boosts :meth:`~Query.window` would get): (float32
    scores, which rows are valid). The arithmetic is :meth:`~FunctionScore.window`'s,
    element by element; a row with a negative or NaN score is not valid (the one-query
    path raises its error)."""
    weights = np.array([[q.functions[0].weight_or_one()] for q in queries])
    caps = np.array([[q.max_boost] for q in queries])
    factor = np.minimum(values * weights, caps)  # times 1.0 leaves a value as it is
    final = np.empty(values.shape, dtype=np.float32)
    modes: dict[str, list[int]] = {}
    for row, query in enumerate(queries):
        modes.setdefault(query.boost_mode, []).append(row)
    for mode, rows in modes.items():
        if mode == "replace":  # the query score is not read
            final[rows] = factor[rows]
        else:  # the sub-query is match_all: its score is the boost, as a float
            constant = np.array([[float(np.float32(1.0) * np.float32(boosts[r]))] for r in rows])
            final[rows] = _combine(mode, constant, factor[rows])
    valid = np.all(final >= 0, axis=1)
    return final, valid


def _filter_rows(ctx: SearchContext, query: Query, ordinals: np.ndarray) -> np.ndarray:
    """Whether a function's filter matches each ordinal: read for those ordinals when
    they are few (a window), else from the shard's (cacheable) mask."""
    if len(ordinals) * 8 < ctx.maxdoc:
        return query.run_window(ctx, ordinals, False).mask
    return query.run(ctx, False).mask[ordinals]


def _parse_entry(entry: Any) -> FilterFunction:
    if not isinstance(entry, dict):
        raise ParsingError(
            "failed to parse [function_score] query. [functions] entries must be objects"
        )
    names = [k for k in entry if k not in ("filter", "weight", "_name")]
    if len(names) > 1:
        raise ParsingError(
            f"failed to parse function_score functions. already found [{names[0]}], now encountering [{names[1]}]."
        )
    function: ScoreFunction = parse_function(names[0], entry[names[0]]) if names else ScoreOne()
    if "_name" in entry:
        function.name = str(entry["_name"])
    weight = _weight(entry["weight"]) if "weight" in entry else None
    filter_query = parse_query(entry["filter"], "filter") if "filter" in entry else None
    if filter_query is not None and filter_query.type_name == "match_all":
        filter_query = None
    return FilterFunction(function, filter_query, weight)


def _weight(value: Any) -> float:
    try:
        return float(np.float32(float(value)))
    except (TypeError, ValueError):
        raise ParsingError(f"[function_score] failed to parse [weight] value [{value}]") from None


def _choice(value: Any, allowed: tuple[str, ...], name: str) -> str:
    text = str(value).lower()
    if text not in allowed:
        raise ParsingError(f"failed to parse [function_score] query. illegal {name} [{value}]")
    return text


def _score_mode(
    mode: str, applies: list[np.ndarray], values: list[np.ndarray], weights: list[float], n: int
) -> np.ndarray:
    factor = np.ones(n, dtype=np.float64)
    if mode == "multiply":
        for where, value in zip(applies, values, strict=True):
            factor = np.where(where, factor * value, factor)
    elif mode == "first":
        done = np.zeros(n, dtype=bool)
        for where, value in zip(applies, values, strict=True):
            take = where & ~done
            factor = np.where(take, value, factor)
            done |= where
    elif mode in ("max", "min"):
        pick = np.maximum if mode == "max" else np.minimum
        best = np.full(n, -np.inf if mode == "max" else np.inf)
        applied = np.zeros(n, dtype=bool)
        for where, value in zip(applies, values, strict=True):
            best = np.where(where, pick(best, value), best)
            applied |= where
        factor = np.where(applied, best, 1.0)
    else:
        total = np.zeros(n)
        weight_sum = np.zeros(n)
        for where, value, weight in zip(applies, values, weights, strict=True):
            total = np.where(where, total + value, total)
            weight_sum = np.where(where, weight_sum + weight, weight_sum)
        result = total / np.where(weight_sum == 0, 1.0, weight_sum) if mode == "avg" else total
        factor = np.where(weight_sum != 0, result, 1.0)
    return factor


def _combine(mode: str, q: np.ndarray, f: np.ndarray) -> np.ndarray:
    if mode == "multiply":
        return q * f
    if mode == "replace":
        return f
    if mode == "sum":
        return q + f
    if mode == "avg":
        return (f + q) / 2.0
    if mode == "max":
        return np.maximum(q, f)
    return np.minimum(q, f)


def _combine_explanation(
    mode: str, query: Explanation, factor: Explanation, max_boost: float
) -> Explanation:
    capped_value = min(float(np.float32(float(factor.value))), max_boost)
    capped = Explanation(capped_value, "min of:", [factor, Explanation(max_boost, "maxBoost")])
    q = float(np.float32(float(query.value)))
    if mode == "replace":
        return capped
    if mode == "multiply":
        return Explanation(
            float(np.float32(q) * np.float32(capped_value)),
            "function score, product of:",
            [query, capped],
        )
    if mode == "sum":
        return Explanation(
            float(np.float32(capped_value) + np.float32(q)), "sum of", [query, capped]
        )
    if mode == "avg":
        return Explanation(float(np.float32((capped_value + q) / 2.0)), "avg of", [query, capped])
    if mode == "max":
        return Explanation(max(capped_value, q), "max of:", [query, capped])
    return Explanation(min(capped_value, q), "min of", [query, capped])
