"""``bool``: must / filter / should / must_not with ``minimum_should_match``.

Scores follow Lucene's scorers: clause scores (float32) are summed in double and cast
back to float once per scorer, so ``must`` clauses form one conjunction sum, ``should``
clauses one disjunction sum, and the two are added (ReqOptSumScorer); ``filter`` and
``must_not`` never score. ``minimum_should_match`` defaults to 1 when there is no
``must``/``filter`` clause and to 0 otherwise; when it equals the number of ``should``
clauses they become required, as Lucene's rewrite makes them. An empty ``bool`` is
``match_all``.

Required clauses run cheapest first; an expensive clause (a distance, a script) is
handed the documents still in play as ``SearchContext.domain`` so it computes nothing
for documents already excluded. Once the documents in play are few (a hard filter after
its status, gender and age clauses), the remaining clauses are asked about those rows
only (:meth:`Query.run_window`), each about the rows its predecessors kept: no clause
then builds a shard-sized mask (a "distance step" ``bool`` of a ``term`` and a distance
reads a few hundred rows, not 100,000).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, parse_query, register
from .bool_rows import domain_size, required_rows, should_rows, smallest_required
from .msm import resolve_minimum_should_match
from .term import constant_explanation

_CLAUSES = ("must", "filter", "should", "must_not")
# Hand the running mask to expensive clauses once it has shrunk below this share.
_DOMAIN_SHARE = 0.5
# A should clause matching under 1/_SPARSE_SHARE of the shard is summed at its matches only.
_SPARSE_SHARE = 16
# Filter clauses switch to the rows in play once they are under this share of the shard.
WINDOW_SHARE = 0.125


@register("bool")
class Bool(Query):
    # A bool costs what its most expensive clause costs: a "within my distance" bool of
    # distance clauses then runs after its cheap siblings, on the documents they left.
    cost = 1

    def __init__(self) -> None:
        self._named: bool | None = None  # memos: a deep filter asks at every level
        self._ignores_domain: bool | None = None
        self._shareable = False  # decided when parsed
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
        parse_common(
            query, body, set(_CLAUSES) | {"minimum_should_match", "adjust_pure_negative"}, "bool"
        )
        children = query.children()
        if not query.has_named():  # named matches must be computed over the whole shard
            query.cost = max((c.cost for c in children), default=Bool.cost)
        query._shareable = all(c.shareable() for c in children)
        return query

    def children(self) -> list[Query]:
        return [*self.must, *self.filter, *self.should, *self.must_not]

    def has_named(self) -> bool:
        if self._named is None:
            self._named = self.query_name is not None or any(c.has_named() for c in self.children())
        return self._named

    def shareable(self) -> bool:
        return self._shareable

    def ignores_domain(self) -> bool:
        if self._ignores_domain is None:
            self._ignores_domain = all(c.ignores_domain() for c in self.children())
        return self._ignores_domain

    def filter_key(self, ctx: SearchContext) -> Any:
        """The clauses' own keys, not the request body: a terms lookup's key holds the
        values it resolved to, so a mask cached before the looked-up document changed is
        never served after (blocks apply to the very next request)."""
        parts: list[Any] = ["bool", str(self.minimum_should_match)]
        for kind in _CLAUSES:
            keys = tuple(c.cached_filter_key(ctx) for c in getattr(self, kind))
            if any(k is None for k in keys):
                return None
            parts.append(keys)
        return tuple(parts)

    def required_should(self) -> int:
        default = 0 if (self.must or self.filter) else 1
        return resolve_minimum_should_match(self.minimum_should_match, len(self.should), default)

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        if not self.children():
            return ctx.everything(1.0).boosted(boost) if scoring else ctx.everything()
        required = self.required_should()
        if self.should and required > len(self.should):
            return ctx.none()
        musts = list(self.must)
        shoulds = list(self.should)
        if shoulds and required == len(shoulds) and required > 0:
            musts, shoulds, required = musts + shoulds, [], 0
        if not scoring:
            musts_filters, musts = musts + self.filter, []
        else:
            musts_filters = list(self.filter)
        ordered = sorted(
            [(c, False) for c in musts_filters] + [(c, True) for c in self.must_not],
            key=lambda pair: pair[0].cost,
        )
        mask, rows = self._required(ctx, ordered, not scoring and bool(shoulds))
        if rows is not None:
            if not scoring:
                kept = should_rows(ctx, shoulds, rows, required, True)
                return Matches(ctx.mask_of(rows[kept]), None, 1.0)
            mask = ctx.mask_of(rows)
        assert mask is not None
        must_scores = []
        for clause in musts:
            m = _run_in(ctx, clause, mask, True, boost)
            mask &= m.mask
            must_scores.append(m.score_array())
        should_sum, count = self._shoulds(ctx, shoulds, mask, scoring, boost, required)
        if shoulds and required > 0:
            mask &= count >= required
        if not scoring:
            return Matches(mask, None, 1.0)
        scores = _combine(must_scores, should_sum, required > 0, ctx.maxdoc)
        scores[~mask] = 0
        return Matches(mask, scores, 0.0)

    def _required(
        self, ctx: SearchContext, ordered: list[tuple[Query, bool]], rows_after: bool
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(mask, None), or (None, the ordinals in play) once they are few: the clauses
        after that point read only the rows their predecessors kept (``rows_after``: the
        should clauses that follow would too). A ``bool`` whose answer depends on the
        domain answers only for it (its other values are unspecified); named matches are
        always computed over the whole shard."""
        if self.has_named():
            return _mask_conjunction(ctx, ordered, ctx.live.copy()), None
        limit = WINDOW_SHARE * ctx.maxdoc
        restrict = ctx.domain is not None and not self.ignores_domain()
        seed = smallest_required(ctx, ordered, limit)
        if seed is not None:
            at, rows = seed
            rows = rows[ctx.live[rows]]
            if restrict:
                domain = ctx.domain_mask()
                assert domain is not None
                rows = rows[domain[rows]]
            rest = ordered[:at] + ordered[at + 1 :]
            return None, rows[required_rows(ctx, rest, rows, True)]
        if restrict and domain_size(ctx) < limit:
            rows = ctx.domain_hits(ctx.live)
            return None, rows[required_rows(ctx, ordered, rows, True)]
        mask = ctx.live.copy()
        for i, (clause, negate) in enumerate(ordered):
            if np.count_nonzero(mask) < limit:
                rows = ctx.domain_hits(mask) if restrict else np.flatnonzero(mask)
                return None, rows[required_rows(ctx, ordered[i:], rows, True)]
            m = _run_in(ctx, clause, mask, False, 1.0)
            mask &= ~m.mask if negate else m.mask
        if rows_after and np.count_nonzero(mask) < limit:
            return None, ctx.domain_hits(mask) if restrict else np.flatnonzero(mask)
        return mask, None

    def _shoulds(
        self,
        ctx: SearchContext,
        shoulds: list[Query],
        mask: np.ndarray,
        scoring: bool,
        boost: float,
        required: int,
    ) -> tuple[np.ndarray | None, np.ndarray]:
        """(the double sum of should scores, how many shoulds match each document; a
        boolean "any" when only one match is required and nothing scores)."""
        total = np.zeros(ctx.maxdoc, dtype=np.float64) if scoring and shoulds else None
        in_play = mask if (self.must or self.filter) else None
        if total is None and required <= 1:
            union = np.zeros(ctx.maxdoc, dtype=bool)
            for clause in shoulds:
                union |= _run_in(ctx, clause, in_play, False, boost).mask
            return None, union
        count = np.zeros(ctx.maxdoc, dtype=np.int32)
        for clause in shoulds:
            m = _run_in(ctx, clause, in_play, scoring, boost)
            hits = np.flatnonzero(m.mask)
            if len(hits) * _SPARSE_SHARE < ctx.maxdoc:  # a k-NN source: k documents
                count[hits] += 1
                if total is not None:
                    total[hits] += m.score_array()[hits]
                continue
            count += m.mask
            if total is not None:
                total += np.where(m.mask, m.score_array(), np.float32(0))
        return (total.astype(np.float32) if total is not None else None), count

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        """:meth:`weighted` for ``ordinals``: every clause reads only those documents."""
        n = len(ordinals)
        live = ctx.live[ordinals]
        if not self.children():
            return Matches(live, None, 1.0).boosted(boost) if scoring else Matches(live)
        required = self.required_should()
        if self.should and required > len(self.should):
            return Matches(np.zeros(n, dtype=bool), None, 0.0)
        musts, shoulds = list(self.must), list(self.should)
        if shoulds and required == len(shoulds) and required > 0:
            musts, shoulds, required = musts + shoulds, [], 0
        filters = list(self.filter) if scoring else musts + self.filter
        musts = musts if scoring else []
        ordered = sorted(
            [(c, False) for c in filters] + [(c, True) for c in self.must_not],
            key=lambda pair: pair[0].cost,
        )
        # With a named clause below, every clause answers for the whole window, as the
        # shard-wide path has them answer for the whole shard.
        narrow = not self.has_named()
        kept = np.flatnonzero(live)
        kept = kept[required_rows(ctx, ordered, ordinals[kept], narrow)]
        if not scoring:
            kept = kept[should_rows(ctx, shoulds, ordinals[kept], required, narrow)]
            mask = np.zeros(n, dtype=bool)
            mask[kept] = True
            return Matches(mask, None, 1.0)
        mask = np.zeros(n, dtype=bool)
        mask[kept] = True
        must_scores = []
        for clause in musts:
            m = clause.run_window(ctx, ordinals, True, boost)
            mask &= m.mask
            must_scores.append(m.score_array())
        count = np.zeros(n, dtype=np.int32)
        total = np.zeros(n, dtype=np.float64) if shoulds else None
        for clause in shoulds:
            m = clause.run_window(ctx, ordinals, True, boost)
            count += m.mask
            if total is not None:
                total += np.where(m.mask, m.score_array(), np.float32(0))
        if shoulds and required > 0:
            mask &= count >= required
        should_sum = total.astype(np.float32) if total is not None else None
        scores = _combine(must_scores, should_sum, required > 0, n)
        scores[~mask] = 0
        return Matches(mask, scores, 0.0)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        """Lucene's BooleanWeight explanation (clauses in OpenSearch's order: must,
        must_not, should, filter)."""
        if not self.children():
            return constant_explanation("*:*", boost)
        filters = list(self.filter)
        if not (self.must or self.filter or self.should):
            from .match_all import MatchAll  # OpenSearch adds match_all to a negative bool

            filters.append(MatchAll())
        subs: list[Explanation] = []
        failed = matched = should_matched = 0
        for kind, clauses in (
            ("must", self.must),
            ("must_not", self.must_not),
            ("should", self.should),
            ("filter", filters),
        ):
            for clause in clauses:
                e = clause.explain_doc(
                    ctx, ordinal, 1.0 if kind in ("filter", "must_not") else boost
                )
                entry, fails = _clause_explanation(kind, clause, e)
                if entry is not None:
                    subs.append(entry)
                failed += fails
                matched += int(e.match and kind != "must_not")
                should_matched += int(e.match and kind == "should")
        required = self.required_should()
        if failed:
            return Explanation.no_match(
                "Failure to meet condition(s) of required/prohibited clause(s)", *subs
            )
        if matched == 0:
            return Explanation.no_match("No matching clauses", *subs)
        if should_matched < required:
            return Explanation.no_match(
                f"Failure to match minimum number of optional clauses: {required}", *subs
            )
        score = float(self.weighted(ctx, True, boost).score_array()[ordinal])
        return Explanation(score, "sum of:", subs)

    def lucene_string(self) -> str:
        parts = [f"+{c.lucene_string()}" for c in self.must]
        parts += [f"#{c.lucene_string()}" for c in self.filter]
        parts += [c.lucene_string() for c in self.should]
        parts += [f"-{c.lucene_string()}" for c in self.must_not]
        return " ".join(parts)


def _clause_explanation(kind: str, clause: Query, e: Explanation) -> tuple[Explanation | None, int]:
    """(the entry a clause adds to the boolean's explanation, 1 if it fails the bool)."""
    text = clause.lucene_string()
    if kind == "must_not":
        return (
            (Explanation.no_match(f"match on prohibited clause ({text})", e), 1)
            if e.match
            else (None, 0)
        )
    if not e.match:
        if kind == "should":
            return None, 0
        return Explanation.no_match(f"no match on required clause ({text})", e), 1
    if kind == "filter":
        return Explanation(
            0.0, "match on required clause, product of:", [Explanation(0.0, "# clause"), e]
        ), 0
    return e, 0


def _mask_conjunction(
    ctx: SearchContext, ordered: list[tuple[Query, bool]], mask: np.ndarray
) -> np.ndarray:
    """``mask`` narrowed by each clause (a ``must_not`` removes its matches), shard-wide."""
    for clause, negate in ordered:
        m = _run_in(ctx, clause, mask, False, 1.0)
        mask &= ~m.mask if negate else m.mask
    return mask


def _run_in(
    ctx: SearchContext, clause: Query, mask: np.ndarray | None, scoring: bool, boost: float
) -> Matches:
    """Run a clause, restricting an expensive one to the documents still in play."""
    if mask is None or not (clause.uses_domain or clause.cost >= 3):
        return clause.run(ctx, scoring, boost)
    if np.count_nonzero(mask) > _DOMAIN_SHARE * len(mask):
        return clause.run(ctx, scoring, boost)
    outer = ctx.domain
    outer_mask = ctx.domain_mask()
    ctx.domain = mask if outer_mask is None else (mask & outer_mask)
    try:
        return clause.run(ctx, scoring, boost)
    finally:
        ctx.domain = outer


def _combine(
    must_scores: list[np.ndarray], should_sum: np.ndarray | None, msm_required: bool, n: int
) -> np.ndarray:
    """Lucene's float rounding: one double sum per scorer, cast to float."""
    if must_scores and should_sum is not None and msm_required:
        total = np.sum([s.astype(np.float64) for s in must_scores], axis=0)
        return (total + should_sum).astype(np.float32)
    must_part = None
    if must_scores:
        must_part = (
            must_scores[0]
            if len(must_scores) == 1
            else np.sum([s.astype(np.float64) for s in must_scores], axis=0).astype(np.float32)
        )
    if must_part is None:
        return should_sum.copy() if should_sum is not None else np.zeros(n, dtype=np.float32)
    if should_sum is None:
        return must_part.copy()
    return (must_part.astype(np.float64) + should_sum).astype(np.float32)
