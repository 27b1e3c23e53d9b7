"""neural-search's score normalisation and combination techniques, as pure functions.

Input to a normaliser is ``lists[shard][sub_query]``: the score arrays each shard
retrieved for each sub-query (its top-N list, sorted by score). Statistics (min, max,
norms, means, ranks) are taken per sub-query over the union of all shards' lists, never
over the whole index. Combination then sees, per document, one normalised score per
sub-query, **0.0 for a sub-query that did not retrieve the document**.

The construction of each technique validates its parameters with neural-search's
messages, so a bad pipeline is refused when it is stored.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from .errors import IllegalArgumentError

MAX_SUB_QUERIES = 5
Lists = list[list[np.ndarray]]
F32 = np.float32
MIN_SCORE = F32(0.001)


# -- normalisation --------------------------------------------------------------------


class Normalization:
    name = ""

    def __init__(self, params: dict[str, Any]) -> None:
        if params:
            raise IllegalArgumentError("unrecognized parameters in normalization technique")

    def normalize(self, lists: Lists, ords: Lists | None = None) -> Lists:
        raise NotImplementedError


def _per_sub(lists: Lists, j: int) -> np.ndarray:
    parts = [shard[j] for shard in lists if j < len(shard)]
    return np.concatenate(parts).astype(F32) if parts else np.empty(0, dtype=F32)


def _num_subs(lists: Lists) -> int:
    return max((len(shard) for shard in lists), default=0)


class Bound:
    """One lower or upper bound of min_max (``mode`` apply | clip | ignore)."""

    def __init__(self, spec: dict[str, Any] | None, lower: bool) -> None:
        self.enabled = spec is not None
        self.lower = lower
        spec = spec or {}
        self.mode = _bound_mode(spec.get("mode"))
        key, default = ("min_score", 0.0) if lower else ("max_score", 1.0)
        self.score = F32(_bound_score(spec.get(key), key, default))

    def effective(self, score: np.ndarray, low: F32, high: F32) -> np.ndarray:
        """LowerBound/UpperBound.determineEffectiveScore, per score."""
        fallback = low if self.lower else high
        if not self.enabled or self.mode == "ignore":
            return np.full(len(score), fallback, dtype=F32)
        b = self.score
        if self.lower:
            if self.mode == "apply":
                return np.where((high > b) & (score > b), b, low).astype(F32)
            return np.full(len(score), low if high < b else b, dtype=F32)
        if self.mode == "apply":
            return np.where((low < b) & (score < b), b, high).astype(F32)
        return np.full(len(score), high if low > b else b, dtype=F32)

    def clips(self, score: np.ndarray, effective: np.ndarray) -> np.ndarray:
        if not (self.enabled and self.mode == "clip"):
            return np.zeros(len(score), dtype=bool)
        return score < effective if self.lower else score > effective


def _bound_mode(value: Any) -> str:
    text = "" if value is None else str(value)
    if not text.strip():
        return "apply"
    mode = text.lower()
    if mode not in ("apply", "clip", "ignore"):
        raise IllegalArgumentError(f"invalid mode: {text}, valid values are: apply, clip, ignore")
    return mode


def _bound_score(value: Any, key: str, default: float) -> float:
    if value is None:
        return default
    try:
        score = float(str(value))
    except ValueError:
        raise IllegalArgumentError(
            f"invalid format for {key}: must be a valid float value"
        ) from None
    if not -10_000 <= score <= 10_000:
        raise IllegalArgumentError(
            f"{key} must be a valid finite number between -10000.000000 and 10000.000000"
        )
    return score


class MinMax(Normalization):
    name = "min_max"

    def __init__(self, params: dict[str, Any]) -> None:
        _validate_nested(
            params, {"lower_bounds": {"mode", "min_score"}, "upper_bounds": {"mode", "max_score"}}
        )
        self.lower = _bounds(params, "lower_bounds", lower=True)
        self.upper = _bounds(params, "upper_bounds", lower=False)

    def normalize(self, lists: Lists, ords: Lists | None = None) -> Lists:
        subs = _num_subs(lists)
        for bounds in (self.lower, self.upper):
            if bounds is not None and subs and len(bounds) != subs:
                raise IllegalArgumentError(
                    f"expected bounds array to contain {subs} elements matching the number of "
                    "sub-queries, but found a mismatch"
                )
        stats: list[tuple[F32, F32]] = []
        for j in range(subs):
            all_scores = _per_sub(lists, j)
            stats.append(
                (all_scores.min(), all_scores.max()) if len(all_scores) else (F32(0), F32(0))
            )
        return [
            [self._one(scores, stats[j][0], stats[j][1], j) for j, scores in enumerate(shard)]
            for shard in lists
        ]

    def _one(self, score: np.ndarray, low: F32, high: F32, j: int) -> np.ndarray:
        score = score.astype(F32)
        if self.lower is None and self.upper is None:  # the common case, without bounds
            if high == low:
                return np.ones(len(score), dtype=F32)
            value = ((score - low) / (high - low)).astype(F32)
            return np.where(value == 0, MIN_SCORE, value).astype(F32)
        lower = self.lower[j] if self.lower is not None else Bound(None, True)
        upper = self.upper[j] if self.upper is not None else Bound(None, False)
        eff_min = lower.effective(score, low, high)
        eff_max = upper.effective(score, low, high)
        span = eff_max - eff_min
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(span == 0, F32(1), (score - eff_min) / span).astype(F32)
        value = np.where(value == 0, MIN_SCORE, value)
        value = np.where(upper.clips(score, eff_max), F32(1), value)
        value = np.where(lower.clips(score, eff_min), MIN_SCORE, value)
        single = (high == low) & (score == high)
        return np.where(single, F32(1), value).astype(F32)


def _bounds(params: dict[str, Any], key: str, lower: bool) -> list[Bound] | None:
    if key not in params:
        return None
    items = params[key]
    if not isinstance(items, list):
        raise IllegalArgumentError(f"{key} must be a List")
    if len(items) > MAX_SUB_QUERIES:
        raise IllegalArgumentError(
            f"{key} size {len(items)} should be less than or equal to {MAX_SUB_QUERIES}"
        )
    if not all(isinstance(item, dict) for item in items):
        raise IllegalArgumentError("each bound must be a map")
    return [Bound(item, lower) for item in items]


def _validate_nested(params: dict[str, Any], allowed: dict[str, set[str]]) -> None:
    """ScoreNormalizationUtil.validateParameters: known keys, maps of known nested keys."""
    unknown = False
    for key, value in params.items():
        if key not in allowed:
            unknown = True
        elif isinstance(value, dict):
            unknown |= bool(set(value) - allowed[key])
        elif isinstance(value, list):
            for item in value:
                unknown |= not isinstance(item, dict) or bool(set(item) - allowed[key])
        else:
            unknown |= bool(allowed[key])
    if unknown:
        raise IllegalArgumentError("unrecognized parameters in normalization technique")


class L2(Normalization):
    name = "l2"

    def normalize(self, lists: Lists, ords: Lists | None = None) -> Lists:
        norms = []
        for j in range(_num_subs(lists)):
            all_scores = _per_sub(lists, j)
            norms.append(F32(np.sqrt(np.sum(all_scores * all_scores, dtype=F32))))
        out = []
        for shard in lists:
            row = []
            for j, scores in enumerate(shard):
                norm = norms[j]
                row.append(
                    np.zeros(len(scores), dtype=F32) if norm == 0 else (scores / norm).astype(F32)
                )
            out.append(row)
        return out


class ZScore(Normalization):
    name = "z_score"

    def __init__(self, params: dict[str, Any]) -> None:
        del params  # neural-search's ZScoreNormalizationTechnique takes no parameters

    def normalize(self, lists: Lists, ords: Lists | None = None) -> Lists:
        stats = []
        for j in range(_num_subs(lists)):
            values = _per_sub(lists, j).astype(np.float64)
            if not len(values):
                stats.append((F32(0), F32(0), F32(0), F32(0)))
                continue
            std = values.std(ddof=1) if len(values) > 1 else 0.0
            stats.append((F32(values.mean()), F32(std), F32(values.max()), F32(values.min())))
        out = []
        for shard in lists:
            row = []
            for j, scores in enumerate(shard):
                mean, std, high, low = stats[j]
                s = scores.astype(F32)
                with np.errstate(divide="ignore", invalid="ignore"):
                    z = ((s - mean) / std).astype(F32)
                z = np.where(z <= 0, MIN_SCORE, z)
                z = np.where(std == 0, low, z)
                row.append(np.where(s == mean, high, z).astype(F32))
            out.append(row)
        return out


class RRF(Normalization):
    """Reciprocal rank: 1 / (rank_constant + rank), rank global across shards (1-based)."""

    name = "rrf"

    def __init__(self, params: dict[str, Any]) -> None:
        if set(params) - {"rank_constant"}:
            raise IllegalArgumentError("unrecognized parameters in normalization technique")
        self.rank_constant = 60
        if "rank_constant" in params:
            try:
                self.rank_constant = int(str(params["rank_constant"]))
            except ValueError:
                raise IllegalArgumentError("parameter [rank_constant] must be an integer") from None
            if not 1 <= self.rank_constant <= 10_000:
                raise IllegalArgumentError(
                    "rank constant must be in the interval between 1 and 10000, submitted rank "
                    f"constant: {self.rank_constant}"
                )

    def normalize(self, lists: Lists, ords: Lists | None = None) -> Lists:
        assert ords is not None, "rrf ranks need the ordinals to break ties"
        out: Lists = [[np.empty(0, dtype=F32)] * len(shard) for shard in lists]
        for j in range(_num_subs(lists)):
            scores = _per_sub(lists, j)
            owners = np.concatenate(
                [np.full(len(shard[j]), s, dtype=np.int64) for s, shard in enumerate(lists)]
            )
            doc = np.concatenate([shard_ords[j] for shard_ords in ords]).astype(np.int64)
            order = np.lexsort((owners, doc, -scores))
            ranks = np.empty(len(scores), dtype=np.int64)
            ranks[order] = np.arange(len(scores))
            values = np.asarray([self._value(r) for r in ranks.tolist()], dtype=F32)
            start = 0
            for s, shard in enumerate(lists):
                out[s][j] = values[start : start + len(shard[j])]
                start += len(shard[j])
        return out

    def _value(self, rank: int) -> float:
        quotient = (Decimal(1) / Decimal(self.rank_constant + rank + 1)).quantize(
            Decimal("1e-10"), rounding=ROUND_HALF_UP
        )
        return float(quotient)


NORMALIZATIONS: dict[str, type[Normalization]] = {
    "min_max": MinMax,
    "l2": L2,
    "z_score": ZScore,
    "rrf": RRF,
}


def make_normalization(name: str, params: dict[str, Any] | None) -> Normalization:
    cls = NORMALIZATIONS.get(name)
    if cls is None:
        raise IllegalArgumentError("provided normalization technique is not supported")
    return cls(params or {})


# -- combination ---------------------------------------------------------------------


class Combination:
    """One combination technique with its (validated) weights."""

    def __init__(self, name: str, params: dict[str, Any] | None) -> None:
        self.name = name
        params = params or {}
        unknown = set(params) - {"weights"}
        if unknown:
            raise IllegalArgumentError(
                "provided parameter for combination technique is not supported. supported "
                "parameters are [weights]"
            )
        weights = params.get("weights", [])
        if not isinstance(weights, list):
            raise IllegalArgumentError("parameter [weights] must be a collection of numbers")
        self.weights = [F32(w) for w in weights]
        if self.weights:
            _validate_weights(self.weights)

    def combine(self, matrix: np.ndarray) -> np.ndarray:
        """Combined score of each row of ``matrix`` (docs x sub-queries, 0.0 = missing)."""
        subs = matrix.shape[1]
        if self.weights and len(self.weights) != subs:
            raise IllegalArgumentError(
                f"number of weights [{len(self.weights)}] must match number of sub-queries "
                f"[{subs}] in hybrid query"
            )
        w = np.asarray(self.weights or [F32(1)] * subs, dtype=F32)
        if self.name in ("arithmetic_mean", "rrf"):
            used = (matrix >= 0) * w
            total = (matrix * used).sum(axis=1, dtype=F32)
            weight_sum = used.sum(axis=1, dtype=F32)
            if self.name == "rrf":
                return np.where(weight_sum == 0, F32(0), total).astype(F32)
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(weight_sum == 0, F32(0), total / weight_sum).astype(F32)
        used = (matrix > 0) * w
        weight_sum = used.sum(axis=1, dtype=F32)
        safe = np.where(matrix > 0, matrix, F32(1))
        if self.name == "geometric_mean":
            ln_sum = (used * np.log(safe.astype(np.float64))).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.exp(ln_sum / weight_sum)
            return np.where(weight_sum == 0, F32(0), value).astype(F32)
        harmonics = (used / safe).sum(axis=1, dtype=F32)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(harmonics > 0, weight_sum / harmonics, F32(0)).astype(F32)


COMBINATIONS = ("arithmetic_mean", "geometric_mean", "harmonic_mean", "rrf")
COMPATIBLE = {
    "min_max": ("arithmetic_mean", "geometric_mean", "harmonic_mean"),
    "l2": ("arithmetic_mean", "geometric_mean", "harmonic_mean"),
    "rrf": ("arithmetic_mean", "geometric_mean", "harmonic_mean"),
    "z_score": ("arithmetic_mean",),
}


def make_combination(name: str, params: dict[str, Any] | None) -> Combination:
    if name not in COMBINATIONS:
        raise IllegalArgumentError("provided combination technique is not supported")
    return Combination(name, params)


def check_compatible(normalization: str, combination: str) -> None:
    supported = COMPATIBLE[normalization]
    if combination not in supported:
        raise IllegalArgumentError(
            f"provided combination technique {combination} is not supported for normalization "
            f"technique {normalization}. Supported techniques are: {', '.join(supported)}"
        )


def _java_floats(values: list[np.float32]) -> str:
    """``Arrays.toString(Float[])``: shortest float32 round-trip digits."""
    return "[" + ", ".join(str(v) for v in values) + "]"


def _validate_weights(weights: list[np.float32]) -> None:
    if any(not 0.0 <= w <= 1.0 for w in weights):
        raise IllegalArgumentError(
            f"all weights must be in range [0.0 ... 1.0], submitted weights: {_java_floats(weights)}"
        )
    if abs(float(sum(weights, F32(0))) - 1.0) > 0.01:
        raise IllegalArgumentError(
            "sum of weights for combination must be equal to 1.0, submitted weights: "
            f"{_java_floats(weights)}"
        )
