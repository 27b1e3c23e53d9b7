"""``match_all`` and ``match_none``."""

from __future__ import annotations

from typing import Any

from ..errors import ParsingError
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register


@register("match_all")
class MatchAll(Query):
    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[match_all] query malformed, no start_object after query name")
        query = cls()
        parse_common(query, body, set(), "match_all")
        return query

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return ctx.everything(1.0)

    def explain(self, ctx: SearchContext, ordinal: int, matches: Matches) -> dict[str, Any]:
        return {"value": self.boost, "description": "*:*", "details": []}


@register("match_none")
class MatchNone(Query):
    @classmethod
    def parse(cls, body: Any) -> Query:
        query = cls()
        parse_common(query, body if isinstance(body, dict) else {}, set(), "match_none")
        return query

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return ctx.none()
