"""The fetch phase: turn (index, ordinal, score) rows of a page into hit JSON.

Only the page's documents are touched: ``_source`` is read from the store (or from
``Index.shadow_sources`` when the document changed after the refresh the search saw),
then filtered; ``docvalue_fields`` read the columns; ``fields`` read the source through
the mapping; named queries, sort values and explanations are added per hit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import codec
from .columns import GeoColumn, KeywordColumn, NumericColumn
from .docvalues import doc_keyword_values, doc_numeric_values
from .errors import IllegalArgumentError
from .explanation import java_float
from .fields import BOOLEAN, DATE, GEO_POINT, KEYWORD, NUMBER, TEXT, FieldMapper
from .formats import format_date, format_decimal
from .info import NODE_ID
from .source_bytes import cut_members, cuttable
from .source_filter import filter_source
from .stored_source import StoredSource

if TYPE_CHECKING:
    from .engine import Engine
    from .index import Index
    from .queries import Query
    from .search_context import SearchContext


@dataclass
class FetchSpec:
    """What each hit of a page shows (the request's fetch options, or ``top_hits``')."""

    source: tuple[bool, list[str], list[str]] = (True, [], [])
    version: bool = False
    seq_no_primary_term: bool = False
    docvalue_fields: list[tuple[str, str | None]] = field(default_factory=list)
    fields: list[tuple[str, str | None]] = field(default_factory=list)
    explain: bool = False
    named_scores: bool = False
    query: Query | None = None
    # REST responses send unfiltered sources byte for byte; internal callers get dicts
    verbatim_source: bool = False


@dataclass
class PageRow:
    ctx: SearchContext
    ordinal: int
    score: float | None  # None: not tracked (a field sort)
    sort: list[Any] | None = None


def load_stored(
    engine: Engine, index: Index, ordinals: list[int], whole: bool = True
) -> dict[int, StoredSource | None]:
    """Stored sources of the given ordinals as the search saw them (see
    Index.shadow_sources); ``whole=False`` leaves cut vectors unread."""
    out: dict[int, StoredSource | None] = {}
    wanted: dict[str, int] = {}
    for ordinal in ordinals:
        if ordinal in index.shadow_sources:
            stored = index.shadow_sources[ordinal]
            if stored is not None and whole and not stored.complete:
                stored = index.keep_shadow(ordinal)
            out[ordinal] = stored if stored is not None and stored.rest else None
        else:
            wanted[index.shard.ids[ordinal]] = ordinal
    if wanted:
        rows = engine.store.stored(index.uuid, list(wanted), with_vectors=whole)
        for doc_id, ordinal in wanted.items():
            stored = rows.get(doc_id)
            out[ordinal] = stored if stored is not None and stored.rest else None
    return out


def load_sources(
    engine: Engine, index: Index, ordinals: list[int]
) -> dict[int, dict[str, Any] | None]:
    """``_source`` of the given ordinals, parsed."""
    stored = load_stored(engine, index, ordinals)
    return {o: codec.loads(s.whole()) if s is not None else None for o, s in stored.items()}


def build_hits(engine: Engine, rows: list[PageRow], spec: FetchSpec) -> list[dict[str, Any]]:
    fetch_source = spec.source[0]
    needs_source = fetch_source or bool(spec.fields)
    reader = SourceReader(spec)
    sources: dict[tuple[int, int], StoredSource | None] = {}
    if needs_source:
        by_ctx: dict[int, tuple[SearchContext, list[int]]] = {}
        for row in rows:
            by_ctx.setdefault(id(row.ctx), (row.ctx, []))[1].append(row.ordinal)
        for ctx, ords in by_ctx.values():
            for ordinal, stored in _page_sources(engine, ctx.index, ords, reader).items():
                sources[(id(ctx), ordinal)] = stored
    return [_hit(row, spec, sources.get((id(row.ctx), row.ordinal)), reader) for row in rows]


def _page_sources(
    engine: Engine, index: Index, ordinals: list[int], reader: SourceReader
) -> dict[int, StoredSource | None]:
    """The page's stored sources, cut vectors read only where the reader shows them."""
    if not reader.cut_names:
        return load_stored(engine, index, ordinals)
    out = load_stored(engine, index, ordinals, whole=False)
    missing = [o for o, s in out.items() if s is not None and not reader.without_vectors(s)]
    if missing:
        out.update(load_stored(engine, index, missing))
    return out


def _hit(
    row: PageRow, spec: FetchSpec, raw: StoredSource | None, reader: SourceReader
) -> dict[str, Any]:
    ctx, ordinal = row.ctx, row.ordinal
    index = ctx.index
    hit: dict[str, Any] = {}
    if spec.explain:
        hit["_shard"] = f"[{index.name}][0]"
        hit["_node"] = NODE_ID
    hit["_index"] = index.name
    hit["_id"] = index.shard.ids[ordinal]
    if spec.version:
        hit["_version"] = int(index.shard.versions.view()[ordinal])
    if spec.seq_no_primary_term:
        hit["_seq_no"] = int(index.shard.seq_nos.view()[ordinal])
        hit["_primary_term"] = 1
    hit["_score"] = None if row.score is None or np.isnan(row.score) else java_float(row.score)
    source, shown = reader.read(raw)
    if spec.source[0] and index.mapping.source_enabled and raw is not None:
        hit["_source"] = shown if shown is not None else reader.filtered(source)
    fields = docvalue_fields(ctx, ordinal, spec.docvalue_fields)
    fields.update(source_fields(ctx, source, spec.fields))
    if fields:
        hit["fields"] = fields
    if row.sort is not None:
        hit["sort"] = row.sort
    named = matched_queries(ctx, ordinal, spec.named_scores)
    if named:
        hit["matched_queries"] = named
    if spec.explain and spec.query is not None:
        hit["_explanation"] = spec.query.explain_doc(ctx, ordinal).to_json()
    return hit


class SourceReader:
    """How a page's ``_source`` bytes become what its hits show, decided once per page.

    Unfiltered sources go out byte for byte, as OpenSearch returns them. Excluded
    top-level members (a profile's vectors) are cut from the bytes before they are parsed
    (:mod:`.source_bytes`); when that is all the filter would do, the cut bytes go out
    without being parsed at all. ``fields`` read the whole source, excluded or not.
    """

    def __init__(self, spec: FetchSpec) -> None:
        _fetch, self.includes, self.excludes = spec.source
        unfiltered = not self.includes and not self.excludes and not spec.fields
        self.verbatim = spec.verbatim_source and unfiltered
        cut = [] if spec.fields else [p for p in self.excludes if _plain_name(p)]
        self.cut_names = tuple(cut)
        self.cut_is_filter = (
            spec.verbatim_source and not self.includes and len(cut) == len(self.excludes)
        )

    def without_vectors(self, stored: StoredSource) -> bool:
        """Whether the filter cuts every vector member kept apart from ``stored.rest``
        (then the rest is all it shows)."""
        return all(m.name in self.cut_names for m in stored.members)

    def read(self, stored: StoredSource | None) -> tuple[dict[str, Any], codec.RawJson | None]:
        """(the parsed source to filter and read ``fields`` from, or the bytes to send)."""
        if stored is None:
            return {}, None
        if self.verbatim:
            return {}, codec.RawJson(stored.whole())
        if not self.cut_names:
            return codec.loads(stored.whole()), None
        raw = stored.rest if self.without_vectors(stored) else stored.whole()
        cut = cut_members(raw, self.cut_names)
        if self.cut_is_filter and cut.complete:
            return {}, codec.RawJson(cut.data)
        return codec.loads(cut.data), None

    def filtered(self, source: dict[str, Any]) -> dict[str, Any]:
        return filter_source(source, self.includes, self.excludes)


def _plain_name(pattern: str) -> bool:
    """Whether an exclude pattern matches one top-level name only: itself (no path, no
    wildcard), whose member can then be cut from the bytes."""
    return cuttable(pattern) and not any(c in pattern for c in ".*?[")


def matched_queries(ctx: SearchContext, ordinal: int, with_scores: bool) -> Any:
    names = [n for n, m in ctx.named_matches.items() if m.mask[ordinal]]
    if not with_scores:
        return names
    return {n: java_float(ctx.named_matches[n].score_array()[ordinal]) for n in names}


# -- docvalue_fields ----------------------------------------------------------------------


def docvalue_fields(
    ctx: SearchContext, ordinal: int, requested: list[tuple[str, str | None]]
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for pattern, fmt in requested:
        for name in ctx.mapping.matching_fields(pattern) or (
            [pattern] if "*" not in pattern else []
        ):
            mapper = ctx.mapper(name)
            if mapper is None:
                continue
            values = _column_values(ctx, mapper, ordinal, fmt)
            if values:
                out[name] = values
    return out


def _column_values(
    ctx: SearchContext, mapper: FieldMapper, ordinal: int, fmt: str | None
) -> list[Any]:
    if mapper.kind == TEXT:
        from .aggs.values import text_field_error

        raise text_field_error(mapper.path)
    column = ctx.shard.column(mapper.path)
    if column is None:
        return []
    if isinstance(column, KeywordColumn):
        return doc_keyword_values(column, [ordinal])[ordinal]
    if isinstance(column, NumericColumn):
        values = doc_numeric_values(column, [ordinal])[ordinal]
        return [_render_number(mapper, v, fmt) for v in values]
    if isinstance(column, GeoColumn):
        if np.isnan(column.lat.view()[ordinal]):
            return []
        return [
            {"lat": float(column.lat.view()[ordinal]), "lon": float(column.lon.view()[ordinal])}
        ]
    raise IllegalArgumentError(
        f"Field [{mapper.path}] of type [{mapper.type}] has no doc values to show"
    )


def _render_number(mapper: FieldMapper, value: Any, fmt: str | None) -> Any:
    if mapper.kind == DATE:
        return format_date(int(value), fmt or mapper.params.get("format"))
    if mapper.kind == BOOLEAN:
        return bool(value)
    if fmt is not None:
        return format_decimal(float(value), fmt)
    return int(value) if mapper.is_integer else float(value)


# -- fields (from _source, through the mapping) ---------------------------------------------


def source_fields(
    ctx: SearchContext, source: dict[str, Any], requested: list[tuple[str, str | None]]
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for pattern, fmt in requested:
        for name in ctx.mapping.matching_fields(pattern):
            mapper = ctx.mapping.fields[name]
            raw = _source_path(source, _source_name(ctx, mapper).split("."))
            values = [_field_value(mapper, v, fmt) for v in raw if v is not None]
            values = [v for v in values if v is not None]
            if values:
                out[name] = values
    return out


def _source_name(ctx: SearchContext, mapper: FieldMapper) -> str:
    """Multi-fields (``name.keyword``) read their parent's source value."""
    parent = mapper.path.rsplit(".", 1)[0]
    owner = ctx.mapping.fields.get(parent)
    if owner is not None and mapper.path in owner.sub_fields:
        return parent
    return mapper.path


def _source_path(node: Any, path: list[str]) -> list[Any]:
    if not path:
        if isinstance(node, list):
            return [v for item in node for v in _source_path(item, [])]
        return [node]
    if isinstance(node, list):
        return [v for item in node for v in _source_path(item, path)]
    if not isinstance(node, dict):
        return []
    for i in range(len(path), 0, -1):
        key = ".".join(path[:i])
        if key in node:
            return _source_path(node[key], path[i:])
    return []


def _field_value(mapper: FieldMapper, value: Any, fmt: str | None) -> Any:
    try:
        converted = mapper.convert(value)
    except (ValueError, TypeError):
        return None
    if converted is None:
        return None
    if mapper.kind == DATE:
        return format_date(int(converted), fmt or mapper.params.get("format"))
    if mapper.kind == GEO_POINT:
        lat, lon = converted
        return {"type": "Point", "coordinates": [lon, lat]}
    if mapper.kind in (KEYWORD, TEXT, BOOLEAN, NUMBER):
        return converted
    return value
