"""``bool``: must / filter / should / must_not with ``minimum_should_match``.

Scores are the float32 sum of the ``must`` and matching ``should`` clause scores;
``filter`` and ``must_not`` never score. ``minimum_should_match`` defaults to 1 when
there is no ``must``/``filter`` clause and to 0 otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..search_context import SearchContext
from . import Matches, Query, parse_common, parse_query, register
from .msm import resolve_minimum_should_match

_CLAUSES = ("must", "filter", "should", "must_not")


@register("bool")
class Bool(Query):
    def __init__(self) -> None:
        self.must: list[Query] = []
        self.filter: list[Query] = []
        self.should: list[Query] = []
        self.must_not: list[Query] = []
        self.minimum_should_match: Any = None

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[bool] query malformed, no start_object after query name")
        query = cls()
        for key, value in body.items():
            if key in _CLAUSES:
                items = value if isinstance(value, list) else [value]
                parsed = [parse_query(item, key) for item in items if item != {}]
                getattr(query, key).extend(parsed)
            elif key == "minimum_should_match":
                query.minimum_should_match = value
            elif key in ("boost", "_name", "adjust_pure_negative"):
                continue
            else:
                raise ParsingError(f"[bool] query does not support [{key}]")
        parse_common(
            query, body, set(_CLAUSES) | {"minimum_should_match", "adjust_pure_negative"}, "bool"
        )
        return query

    def children(self) -> list[Query]:
        return [*self.must, *self.filter, *self.should, *self.must_not]

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        mask = ctx.live.copy()
        scores = np.zeros(ctx.maxdoc, dtype=np.float32) if scoring else None
        for clause in self.must:
            m = clause.run(ctx, scoring)
            mask &= m.mask
            if scores is not None:
                scores += m.score_array()
        for clause in self.filter:
            mask &= clause.run(ctx, False).mask
        for clause in self.must_not:
            mask &= ~clause.run(ctx, False).mask
        if self.should:
            default = 0 if (self.must or self.filter) else 1
            required = resolve_minimum_should_match(
                self.minimum_should_match, len(self.should), default
            )
            count = np.zeros(ctx.maxdoc, dtype=np.int32)
            for clause in self.should:
                m = clause.run(ctx, scoring)
                count += m.mask
                if scores is not None:
                    scores += np.where(m.mask, m.score_array(), np.float32(0))
            if required > 0:
                mask &= count >= required
        elif not (self.must or self.filter or self.must_not):
            pass  # an empty bool matches everything (scores 0 when no scoring clause)
        if scores is not None:
            scores[~mask] = 0
        return Matches(mask, scores, 0.0)
