"""``match_all`` and ``match_none``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register
from .term import constant_explanation


@register("match_all")
class MatchAll(Query):
    frozen = True
    domain_free = True

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[match_all] query malformed, no start_object after query name")
        query = cls()
        parse_common(query, body, set(), "match_all")
        return query

    cost = 1

    def filter_key(self, ctx: SearchContext) -> Any:
        return ("match_all",)

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return ctx.everything(1.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        matches = Matches(ctx.live[ordinals], None, 1.0)
        return matches.boosted(boost) if scoring else matches

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not ctx.live[ordinal]:
            return Explanation.no_match("*:* doesn't match id")
        return constant_explanation("*:*", boost)

    def lucene_string(self) -> str:
        return "*:*"


@register("match_none")
class MatchNone(Query):
    frozen = True
    domain_free = True

    @classmethod
    def parse(cls, body: Any) -> Query:
        query = cls()
        parse_common(query, body if isinstance(body, dict) else {}, set(), "match_none")
        return query

    cost = 1

    def filter_key(self, ctx: SearchContext) -> Any:
        return ("match_none",)

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return ctx.none()

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        return Explanation.no_match('MatchNoDocsQuery("") matches no documents.')

    def lucene_string(self) -> str:
        return 'MatchNoDocsQuery("")'
