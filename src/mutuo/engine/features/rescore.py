"""``rescore``: re-score the top of each index's hits with a second query (QueryRescorer).

Per index (a shard in OpenSearch), after the query phase: the hits are cut to the
``max(from + size, window_size of every rescorer)`` best, then each rescorer in order
takes the top ``window_size`` of the current list and gives every doc of that window
``combine(score x query_weight, rescore_score x rescore_query_weight)`` when the rescore
query matches it, ``score x query_weight`` otherwise; hits beyond the window get
``score x query_weight``; the list is re-sorted (score desc, ordinal asc). ``score_mode``:
total (sum), multiply, avg, max, min.

The rescore query runs through ``Query.run_window`` over the window's ordinals, so it reads
only those documents (``sltr`` features, BM25, columns, ``knn_score`` distances), with the
values a whole-index run would give them.
The parsed entries (:class:`RescoreEntry`, each with its parsed ``rescore_query``) stay
in ``search.features["rescore"]`` for other features: LTR feature logging reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import IllegalArgumentError, ParsingError, QueryShardError, wrap_shard_failure
from ..queries import Query, parse_query
from ..settings import DEFAULT_MAX_RESCORE_WINDOW
from ..sort import SortField, shard_keys
from . import SearchFeature, register_feature

if TYPE_CHECKING:
    from ..search import ParsedSearch, ShardHits
    from ..search_context import SearchContext

DEFAULT_WINDOW = 10
SCORE_MODES = ("total", "multiply", "avg", "max", "min")
_QUERY_KEYS = {"rescore_query", "query_weight", "rescore_query_weight", "score_mode"}


@dataclass
class RescoreEntry:
    """One rescorer of the request."""

    window_size: int
    rescore_query: Query
    query_weight: float = 1.0
    rescore_query_weight: float = 1.0
    score_mode: str = "total"

    def combine(self, primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
        """QueryRescoreMode.combine in float32."""
        mode = self.score_mode
        if mode == "total":
            return primary + secondary
        if mode == "multiply":
            return primary * secondary
        if mode == "avg":
            return (primary + secondary) / np.float32(2)
        if mode == "max":
            return np.maximum(primary, secondary)
        return np.minimum(primary, secondary)


def parse_entries(value: Any) -> list[RescoreEntry]:
    """The ``rescore`` body value (one object or a list) -> entries, in order."""
    items = value if isinstance(value, list) else [value]
    return [_parse_entry(item) for item in items]


def _parse_entry(item: Any) -> RescoreEntry:
    if not isinstance(item, dict):
        raise ParsingError("rescore must be an object")
    window = DEFAULT_WINDOW
    spec: dict[str, Any] | None = None
    for key, value in item.items():
        if key == "window_size":
            window = _int(value, "window_size")
        elif key == "query":
            if not isinstance(value, dict):
                raise ParsingError("[query] rescorer must be an object")
            spec = value
        else:
            raise ParsingError(f"rescore doesn't support rescorer with name [{key}]")
    if spec is None:
        raise ParsingError("missing rescore type")
    for key in spec:
        if key not in _QUERY_KEYS:
            raise ParsingError(f"[query] unknown field [{key}]")
    if "rescore_query" not in spec:
        raise ParsingError("[query] rescore_query cannot be null")
    mode = str(spec.get("score_mode", "total")).lower()
    if mode not in SCORE_MODES:
        raise IllegalArgumentError(f"illegal score_mode [{spec['score_mode']}]")
    return RescoreEntry(
        window_size=window,
        rescore_query=parse_query(spec["rescore_query"], "rescore_query"),
        query_weight=float(spec.get("query_weight", 1.0)),
        rescore_query_weight=float(spec.get("rescore_query_weight", 1.0)),
        score_mode=mode,
    )


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ParsingError(f"[{name}] must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ParsingError(f"[{name}] must be an integer") from None


def check_window(entries: list[RescoreEntry], index_name: str, limit: int) -> None:
    for entry in entries:
        if entry.window_size > limit:
            raise wrap_shard_failure(
                index_name,
                IllegalArgumentError(
                    f"Rescore window [{entry.window_size}] is too large. It must be less than "
                    f"[{limit}]. This prevents allocating massive heaps for storing the results "
                    "to be rescored. This limit can be set by changing the "
                    "[index.max_rescore_window] index level setting."
                ),
            )


def best_hits(ordinals: np.ndarray, scores: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` best hits, sorted: a partition first, so only the candidates (ties at
    the cut included, ordinal order breaks them) are sorted, not every match."""
    if 0 < keep < len(ordinals):
        cut = len(scores) - keep
        candidates = scores >= np.partition(scores, cut)[cut]
        ordinals, scores = ordinals[candidates], scores[candidates]
    ords, current = sorted_hits(ordinals, scores)
    return ords[:keep], current[:keep]


def sorted_hits(ordinals: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((ordinals, -scores))
    return ordinals[order], scores[order]


def rescore_hits(
    entries: list[RescoreEntry],
    ctx: SearchContext,
    ordinals: np.ndarray,
    scores: np.ndarray,
    keep: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the rescorers in order to one shard's hits; returns them sorted, cut to ``keep``."""
    ords, current = best_hits(ordinals, scores.astype(np.float32), keep)
    for entry in entries:
        window = min(entry.window_size, len(ords))
        primary = current * np.float32(entry.query_weight)
        if window:
            head = ords[:window]
            secondary = _rescore_scores(entry, ctx, head)
            matched = secondary[1]
            combined = entry.combine(
                primary[:window], secondary[0] * np.float32(entry.rescore_query_weight)
            )
            primary[:window] = np.where(matched, combined, primary[:window])
        ords, current = sorted_hits(ords, primary.astype(np.float32))
    return ords, current


def _rescore_scores(
    entry: RescoreEntry, ctx: SearchContext, window: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, matched) of the rescore query for the window's ordinals."""
    matches = entry.rescore_query.run_window(ctx, window, scoring=True)
    matched = matches.mask & ctx.live[window]
    return matches.score_array().astype(np.float32), matched


@register_feature
class Rescore(SearchFeature):
    key = "rescore"
    order = 50  # after collapse picked the group heads, before fetch

    def parse(self, value: Any, search: ParsedSearch) -> list[RescoreEntry]:
        return parse_entries(value)

    def after_query(self, spec: Any, shard: ShardHits, search: ParsedSearch) -> None:
        entries: list[RescoreEntry] = spec
        index = shard.index
        check_window(
            entries,
            index.name,
            index.setting_int("index.max_rescore_window", DEFAULT_MAX_RESCORE_WINDOW),
        )
        _check_sort(search, index.name)
        keep = max([search.from_ + search.size, *(e.window_size for e in entries)])
        try:
            hybrid = shard.extras.get("hybrid")
            if hybrid is not None:  # neural-search: each sub-query's list, before normalisation
                for i, (ords, scores) in enumerate(hybrid.lists):
                    hybrid.lists[i] = rescore_hits(entries, shard.ctx, ords, scores, len(ords))
                return
            shard.ordinals, shard.scores = rescore_hits(
                entries, shard.ctx, shard.ordinals, shard.scores, keep
            )
            if "sort_keys" in shard.extras:  # a `_score` sort: rank by the new scores
                sort = search.sort or [SortField("_score", "desc")]
                shard.extras["sort_keys"] = shard_keys(
                    shard.ctx, sort, shard.ordinals, shard.scores
                )
        except QueryShardError as err:
            raise wrap_shard_failure(index.name, err) from None


def _check_sort(search: ParsedSearch, index_name: str) -> None:
    """A sort other than ``_score`` descending cannot be combined with rescore."""
    if search.sort is None:
        return
    if not all(s.field == "_score" and s.reverse for s in search.sort):
        raise wrap_shard_failure(
            index_name,
            IllegalArgumentError("Cannot use [sort] option in conjunction with [rescore]."),
        )
