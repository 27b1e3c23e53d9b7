"""``terms``: one bucket per distinct value, ordered by count (or key, or a sub-metric).

Every index contributes the counts of all its terms (not only its top ``shard_size``),
so counts are exact and ``doc_count_error_upper_bound`` is 0; sub-aggregations are
collected for each index's top ``shard_size`` buckets (all of them when ordering by a
sub-aggregation).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import IllegalArgumentError, ParsingError
from ..search_context import SearchContext
from . import Aggregation, ReduceContext, check_options, register
from .buckets import merge_buckets, order_key, parse_order, render_bucket
from .values import Values, field_values, numeric_key, value_as_string

_OPTIONS = {
    "field",
    "size",
    "shard_size",
    "min_doc_count",
    "shard_min_doc_count",
    "order",
    "include",
    "exclude",
    "missing",
    "format",
    "value_type",
    "execution_hint",
    "collect_mode",
    "show_term_doc_count_error",
}


@register("terms")
class Terms(Aggregation):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, _OPTIONS)
        if "field" not in body:
            raise IllegalArgumentError(
                "Required one of fields [field, script], but none were specified."
            )
        self.field = body["field"]
        self.size = int(body.get("size", 10))
        if self.size <= 0:
            raise IllegalArgumentError(
                f"[size] must be greater than 0. Found [{self.size}] in [{name}]"
            )
        self.shard_size = int(body.get("shard_size", int(self.size * 1.5 + 10)))
        self.min_doc_count = int(body.get("min_doc_count", 1))
        self.order = parse_order(body.get("order", [{"_count": "desc"}]), name)
        self.include, self.exclude = body.get("include"), body.get("exclude")
        for spec in (self.include, self.exclude):
            if isinstance(spec, dict):
                raise ParsingError(
                    "[terms] partitioned [include] is not supported by the embedded engine"
                )
        self.mapper: Any = None

    def by_sub_metric(self) -> bool:
        return any(path not in ("_count", "_key") for path, _desc in self.order)

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        values = field_values(ctx, self.field, mask, self.body.get("missing"))
        self.mapper = self.mapper or values.mapper
        keys, docs = _distinct_pairs(values)
        keys, docs = self._filtered(values, keys, docs)
        if not len(keys):
            return {}
        uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        labels = [self._label(values, k) for k in uniq.tolist()]
        partial: dict[Any, tuple[int, dict[str, Any]]] = {
            label: (int(c), {}) for label, c in zip(labels, counts.tolist(), strict=True)
        }
        if self.subs:
            chosen = np.arange(len(uniq))
            if not self.by_sub_metric() and len(uniq) > self.shard_size:
                chosen = np.argsort(-counts, kind="stable")[: self.shard_size]
            for i in chosen.tolist():
                bucket = ctx.mask_of(docs[inverse == i])
                partial[labels[i]] = (int(counts[i]), self.collect_subs(ctx, bucket, scores))
        return partial

    def _label(self, values: Values, key: Any) -> Any:
        if values.kind == "keyword":
            return values.terms[int(key)]
        return numeric_key(values.mapper, key)

    def _filtered(
        self, values: Values, keys: np.ndarray, docs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if self.include is None and self.exclude is None:
            return keys, docs
        uniq = np.unique(keys)
        labels = [self._label(values, k) for k in uniq.tolist()]
        allowed = [
            k for k, label in zip(uniq.tolist(), labels, strict=True) if self._accepts(label)
        ]
        keep = np.isin(keys, np.asarray(allowed, dtype=keys.dtype))
        return keys[keep], docs[keep]

    def _accepts(self, label: Any) -> bool:
        text = label if isinstance(label, str) else _number_text(label)
        if self.include is not None and not _matches(self.include, label, text):
            return False
        return not (self.exclude is not None and _matches(self.exclude, label, text))

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        merged = merge_buckets(partials)
        candidates = [(k, c) for k, (c, _subs) in merged.items() if c >= self.min_doc_count]
        cache: dict[Any, dict[str, Any]] = {}

        def sub_results(key: Any) -> dict[str, Any]:
            if key not in cache:
                cache[key] = self.reduce_subs(
                    merged[key][1] or [{s.name: s.empty() for s in self.subs}], rctx
                )
            return cache[key]

        candidates.sort(key=order_key(self, self.order, sub_results))
        shown = candidates[: self.size]
        rctx.count_buckets(len(shown))
        other = sum(c for _k, c in candidates[self.size :])
        buckets = []
        for key, count in shown:
            head: dict[str, Any] = {"key": key}
            if not isinstance(key, str):
                text = value_as_string(self.mapper, key, self.body.get("format"))
                if text is not None:
                    head["key_as_string"] = text
            buckets.append(render_bucket(self, head, count, merged[key][1], rctx))
        return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets}


def _distinct_pairs(values: Values) -> tuple[np.ndarray, np.ndarray]:
    """(value, doc) pairs with repeated values of one document counted once."""
    if not len(values.values):
        return values.values, values.docs
    if values.kind == "keyword":
        return values.values, values.docs  # keyword columns keep distinct terms per doc
    pairs = np.unique(
        np.stack([values.docs.astype(np.float64), values.values.astype(np.float64)]), axis=1
    )
    return pairs[1].astype(values.values.dtype), pairs[0].astype(np.int64)


def _number_text(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _matches(spec: Any, label: Any, text: str) -> bool:
    if isinstance(spec, list):
        return label in spec or text in [str(s) for s in spec]
    return re.fullmatch(str(spec), text) is not None
