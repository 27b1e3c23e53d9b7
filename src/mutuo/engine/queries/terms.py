"""``terms``: any of several exact values, or values looked up from another document.

Terms lookup ``{"index", "id", "path"}`` reads the values at ``path`` of a document's
``_source`` (arrays flattened, a missing document or path gives no terms); this is how
mutuo excludes what a member has already seen. The query scores a constant 1.0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from .. import codec
from ..columns import KeywordColumn
from ..errors import IllegalArgumentError, ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, windowed
from .term import constant_explanation


@register("terms")
class Terms(Query):
    frozen = True
    domain_free = True

    def __init__(self, field: str, values: list[Any] | None, lookup: dict[str, Any] | None) -> None:
        self.field = field
        self.values = values
        self.lookup = lookup

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[terms] query malformed, no start_object after query name")
        fields = [k for k in body if k not in ("boost", "_name", "value_type")]
        if len(fields) != 1:
            raise ParsingError(
                "[terms] query does not support multiple fields"
                if fields
                else "[terms] query requires a field"
            )
        field = fields[0]
        spec = body[field]
        if isinstance(spec, list):
            query = cls(field, spec, None)
        elif isinstance(spec, dict):
            for key in spec:
                if key not in ("index", "id", "path", "routing", "store"):
                    raise ParsingError(
                        f"[terms] query does not support [{key}] within lookup element"
                    )
            if "id" not in spec or "path" not in spec or "index" not in spec:
                raise ParsingError(
                    "[terms] query lookup element requires specifying the index, id and path"
                )
            query = cls(field, None, spec)
        else:
            raise ParsingError(f"[terms] query does not support [{field}]")
        parse_common(query, {k: v for k, v in body.items() if k != field}, {"value_type"}, "terms")
        return query

    def resolve_values(self, ctx: SearchContext) -> list[Any]:
        if self.values is not None:
            return self.values
        assert self.lookup is not None
        key = ("terms_lookup", self.lookup["index"], str(self.lookup["id"]), self.lookup["path"])
        cached = ctx.request_cache.get(key)
        if cached is not None:
            return cached
        source = _looked_up_source(ctx, self.lookup["index"], str(self.lookup["id"]))
        values: list[Any] = []
        if source is not None:
            values = _extract(source, self.lookup["path"].split("."))
        limit = ctx.index.setting_int("index.max_terms_count", 65536)
        if len(values) > limit:
            raise IllegalArgumentError(
                f"The number of terms [{len(values)}] used in the Terms Query request has exceeded "
                f"the allowed maximum of [{limit}]. This maximum can be set by changing the "
                "[index.max_terms_count] index level setting."
            )
        ctx.request_cache[key] = values
        return values

    cost = 1

    def filter_key(self, ctx: SearchContext) -> Any:
        if self.lookup is None:
            return self.body_filter_key()
        values = self.resolve_values(ctx)
        return ("terms", self.field, orjson.dumps(values, option=orjson.OPT_PASSTHROUGH_SUBCLASS))

    def mask(self, ctx: SearchContext) -> np.ndarray:
        values = [v for v in self.resolve_values(ctx) if v is not None]
        column = ctx.column(self.field)
        if isinstance(column, KeywordColumn) and self.field not in ("_id", "_index"):
            ids = column.dictionary.ids
            found = [ids[t] for t in map(_keyword_text, values) if t in ids]
            if not found:
                return ctx.none().mask
            postings = [column.postings[i] for i in found]
            return ctx.mask_of(np.concatenate(postings) if len(postings) > 1 else postings[0])
        if self.field == "_id":  # one mask for every id (a viewer's seen list is long)
            return ctx.mask_of(id_ordinals(ctx, values))
        mask = np.zeros(ctx.maxdoc, dtype=bool)
        for value in values:
            mask |= ctx.term_mask(self.field, value)
        return mask

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return Matches(self.mask(ctx) & ctx.live, None, 1.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        values = [v for v in self.resolve_values(ctx) if v is not None]
        column = ctx.column(self.field)
        found = np.zeros(len(ordinals), dtype=bool)
        if isinstance(column, KeywordColumn) and self.field not in ("_id", "_index"):
            for text in map(_keyword_text, values):
                found |= windowed.positions_in(column.docs(text), ordinals)[0]
        elif self.field == "_id":  # the ids' ordinals, not a shard-sized mask per id
            found = np.isin(ordinals, id_ordinals(ctx, values))
        else:
            for value in values:
                found |= windowed.term_mask(ctx, self.field, value, ordinals)
        matches = Matches(found & ctx.live[ordinals], None, 1.0)
        return matches.boosted(boost) if scoring else matches

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not (self.mask(ctx) & ctx.live)[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def lucene_string(self) -> str:
        values = self.values if self.values is not None else []
        return f"{self.field}:({' '.join(_keyword_text(v) for v in values)})"


def id_ordinals(ctx: SearchContext, values: list[Any]) -> np.ndarray:
    """The ordinals of the documents with these ``_id`` values (unknown ids skipped)."""
    id_to_ord = ctx.shard.id_to_ord
    ords = [o for o in (id_to_ord.get(str(v)) for v in values) if o is not None]
    return np.array(ords, dtype=np.int64)


def _looked_up_source(ctx: SearchContext, index_name: str, doc_id: str) -> Any:
    """The looked-up document's ``_source``, read once per request: a hard filter looks up
    several paths (seen, liked, passed, blocked) of one viewer_state document."""
    key = ("terms_lookup_source", index_name, doc_id)
    if key not in ctx.request_cache:
        from ..api.documents import single_index

        index = single_index(ctx.engine, index_name)
        raw = ctx.engine.store.source(index.uuid, doc_id)
        ctx.request_cache[key] = codec.loads(raw) if raw is not None else None
    return ctx.request_cache[key]


def _keyword_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _extract(node: Any, path: list[str]) -> list[Any]:
    if not path:
        if isinstance(node, list):
            out: list[Any] = []
            for item in node:
                out.extend(_extract(item, []))
            return out
        return [] if node is None or isinstance(node, dict) else [node]
    if isinstance(node, list):
        out = []
        for item in node:
            out.extend(_extract(item, path))
        return out
    if not isinstance(node, dict):
        return []
    head = path[0]
    if head in node:
        return _extract(node[head], path[1:])
    # dotted keys in the source (``{"a.b": ...}``)
    for i in range(len(path), 1, -1):
        joined = ".".join(path[:i])
        if joined in node:
            return _extract(node[joined], path[i:])
    return []
