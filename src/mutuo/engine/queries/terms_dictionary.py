"""Term-dictionary queries: ``prefix`` and ``wildcard`` on keyword and text fields.

Both expand to the terms of the field's dictionary that match (a scan of the distinct
terms, never of the documents) and match the union of their postings with a constant
score, Lucene's default ``constant_score`` rewrite.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..columns import KeywordColumn, TextColumn
from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field
from .term import constant_explanation


class TermExpansion(Query):
    """A query matching the documents of every dictionary term a predicate accepts."""

    cost = 2
    option_names: tuple[str, ...] = ("value", "case_insensitive", "rewrite")

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        self.case_insensitive = False

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, cls.type_name)
        if isinstance(spec, dict):
            if "value" not in spec and cls.type_name != "wildcard":
                raise ParsingError(f"[{cls.type_name}] query requires a [value]")
            value = spec.get("value", spec.get("wildcard"))
            if value is None:
                raise ParsingError(f"[{cls.type_name}] query requires a [value]")
            query = cls(field, str(value))
            parse_common(query, {**spec, **extra}, {*cls.option_names, "wildcard"}, cls.type_name)
            query.case_insensitive = bool(spec.get("case_insensitive", False))
            return query
        query = cls(field, str(spec))
        parse_common(query, extra, set(), cls.type_name)
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def matching_terms(self, terms: list[str], order: np.ndarray) -> list[int]:
        raise NotImplementedError

    def mask(self, ctx: SearchContext) -> np.ndarray:
        if self.field in ("_id", "_index"):
            return self._metadata_mask(ctx)
        column = ctx.column(self.field)
        if not isinstance(column, KeywordColumn | TextColumn):
            return ctx.none().mask
        order, _rank = column.dictionary.sorted_order()
        ids = self.matching_terms(column.terms, order)
        if not ids:
            return ctx.none().mask
        postings = column.postings if isinstance(column, KeywordColumn) else column.post_docs
        return ctx.mask_of(np.concatenate([postings[i] for i in ids]))

    def _metadata_mask(self, ctx: SearchContext) -> np.ndarray:
        """``_id`` and ``_index`` are term-indexed in OpenSearch too: their terms are the
        shard's ids and the index name."""
        if self.field == "_index":
            accepted = self.matching_terms([ctx.index.name], np.zeros(1, dtype=np.int64))
            return ctx.live.copy() if accepted else ctx.none().mask
        ids = list(ctx.shard.id_to_ord)
        order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
        ordinals = [ctx.shard.id_to_ord[ids[i]] for i in self.matching_terms(ids, order)]
        return ctx.mask_of(np.array(ordinals, dtype=np.int64))

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return Matches(self.mask(ctx) & ctx.live, None, 1.0)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not (self.mask(ctx) & ctx.live)[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def scan(self, terms: list[str], accept: Callable[[str], bool]) -> list[int]:
        return [i for i, t in enumerate(terms) if accept(t)]


@register("prefix")
class Prefix(TermExpansion):
    def matching_terms(self, terms: list[str], order: np.ndarray) -> list[int]:
        if self.case_insensitive:
            wanted = self.value.lower()
            return self.scan(terms, lambda t: t.lower().startswith(wanted))
        ordered = [terms[i] for i in order.tolist()]
        start = bisect.bisect_left(ordered, self.value)
        end = start
        while end < len(ordered) and ordered[end].startswith(self.value):
            end += 1
        return order[start:end].tolist()

    def lucene_string(self) -> str:
        return f"{self.field}:{self.value}*"


@register("wildcard")
class Wildcard(TermExpansion):
    """``*`` any sequence, ``?`` one character (``\\`` escapes), as Lucene's WildcardQuery."""

    def matching_terms(self, terms: list[str], order: np.ndarray) -> list[int]:
        flags = re.IGNORECASE if self.case_insensitive else 0
        pattern = re.compile(_wildcard_regex(self.value), flags)
        return self.scan(terms, lambda t: pattern.fullmatch(t) is not None)

    def lucene_string(self) -> str:
        return f"{self.field}:{self.value}"


def _wildcard_regex(text: str) -> str:
    out = []
    escaped = False
    for ch in text:
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out)
