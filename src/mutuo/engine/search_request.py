"""A ``_search`` request body plus URL parameters, validated as OpenSearch validates it.

URL parameters win over body values. Keys outside the subset are refused with an
OpenSearch-shaped error naming them, never silently ignored; keys owned by search
features (``rescore``, ``collapse``, ``ext``...) are parsed by those features.
"""

from __future__ import annotations

from typing import Any

from .aggs import AggregationSpec, parse_aggregations
from .errors import IllegalArgumentError, ParsingError
from .features import SearchFeature, features
from .queries import Query, parse_query
from .search_after import check_search_after
from .sort import SortField, parse_sort, parse_sort_param
from .source_filter import from_params, parse_spec

DEFAULT_SIZE = 10
DEFAULT_TRACK_TOTAL_HITS = 10_000

# Top-level search body keys the core executor implements.
SUPPORTED_KEYS = {
    "query",
    "from",
    "size",
    "_source",
    "track_total_hits",
    "min_score",
    "timeout",
    "version",
    "seq_no_primary_term",
    "explain",
    "stored_fields",
    "sort",
    "search_after",
    "post_filter",
    "aggs",
    "aggregations",
    "docvalue_fields",
    "fields",
    "terminate_after",
    "track_scores",
    "indices_boost",
    "profile",
    "stats",
    "include_named_queries_score",
}

# Keys OpenSearch knows that the embedded engine refuses (with their reason).
_REFUSED_KEYS = {
    "highlight": "highlighting",
    "suggest": "suggesters",
    "script_fields": "scripts",
    "runtime_mappings": "runtime fields",
    "derived": "derived fields",
    "pit": "point in time",
    "slice": "sliced scroll",
    "rescore": "rescoring",
    "collapse": "field collapsing",
    "ext": "search extensions",
    "knn": "the top-level knn section",
    "search_pipeline": "search pipelines",
    "verbose_pipeline": "search pipelines",
}


class ParsedSearch:
    """A validated search body (plus URL parameters, which win over the body)."""

    def __init__(self, body: dict[str, Any], params: dict[str, str]) -> None:
        registry = features()
        self.features: dict[str, Any] = {}
        for key in body:
            if key in SUPPORTED_KEYS or key in registry:
                continue
            if key in _REFUSED_KEYS:
                raise ParsingError(
                    f"search request key [{key}] ({_REFUSED_KEYS[key]}) is not supported by the "
                    "embedded engine"
                )
            raise ParsingError(f"Unknown key for a {_token(body[key])} in [{key}].", line=1, col=2)
        self.body = body
        self.params = params
        self.query: Query | None = parse_query(body["query"]) if "query" in body else None
        self._paging(body, params)
        self.source = parse_spec(body.get("_source"))
        if any(k in params for k in ("_source", "_source_includes", "_source_excludes")):
            self.source = from_params(params, body.get("_source"))
        self._totals(body, params)
        self.min_score = _float_or_none(body.get("min_score"), "min_score")
        self.version = _flag(params.get("version", body.get("version", False)))
        self.seq_no_primary_term = _flag(
            params.get("seq_no_primary_term", body.get("seq_no_primary_term", False))
        )
        self.explain = _flag(params.get("explain", body.get("explain", False)))
        self.track_scores = _flag(params.get("track_scores", body.get("track_scores", False)))
        self.named_scores = _flag(
            params.get(
                "include_named_queries_score", body.get("include_named_queries_score", False)
            )
        )
        if _flag(body.get("profile", False)):
            raise IllegalArgumentError("[profile] is not supported by the embedded engine")
        self._sorting(body, params)
        self.post_filter: Query | None = (
            parse_query(body["post_filter"], "post_filter") if "post_filter" in body else None
        )
        self.aggs: list[AggregationSpec] = self._aggregations(body)
        self.typed_keys = _flag(params.get("typed_keys", False))
        self._fields(body, params)
        self.terminate_after = _terminate_after(
            params.get("terminate_after", body.get("terminate_after"))
        )
        self.indices_boost = _indices_boost(body.get("indices_boost"))
        # feature keys are parsed last: they may read the core options above
        for key in sorted(k for k in body if k in registry):
            self.features[key] = registry[key].parse(body[key], self)

    def _paging(self, body: dict[str, Any], params: dict[str, str]) -> None:
        self.from_ = _int(params.get("from", body.get("from", 0)), "from")
        self.size = _int(params.get("size", body.get("size", DEFAULT_SIZE)), "size")
        if self.from_ < 0:
            raise IllegalArgumentError(f"[from] parameter cannot be negative, found [{self.from_}]")
        if self.size < 0:
            raise IllegalArgumentError(f"[size] parameter cannot be negative, found [{self.size}]")

    def _totals(self, body: dict[str, Any], params: dict[str, str]) -> None:
        self.track_total_hits = _track_total_hits(
            params.get("track_total_hits", body.get("track_total_hits"))
        )
        self.rest_total_hits_as_int = params.get("rest_total_hits_as_int") in ("", "true")
        # `1 in (True, ...)` holds in Python: an int limit of 1 is not an accurate count
        accurate = isinstance(self.track_total_hits, bool) or (
            self.track_total_hits == DEFAULT_TRACK_TOTAL_HITS
        )
        if self.rest_total_hits_as_int and not accurate:
            raise IllegalArgumentError(
                "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not "
                f"accurate, got {self.track_total_hits}"
            )

    def _sorting(self, body: dict[str, Any], params: dict[str, str]) -> None:
        self.sort: list[SortField] | None = None
        if "sort" in params:
            self.sort = parse_sort_param(params["sort"])
        elif body.get("sort") is not None:
            self.sort = parse_sort(body["sort"])
        self.search_after: list[Any] | None = None
        if "search_after" in body:
            sort = self.sort or [SortField("_score", "desc")]
            self.search_after = check_search_after(sort, body["search_after"], self.from_)

    def _aggregations(self, body: dict[str, Any]) -> list[AggregationSpec]:
        if "aggs" in body and "aggregations" in body:
            raise ParsingError(
                "Found two aggregation type definitions in [aggs] and [aggregations]"
            )
        spec = body.get("aggs", body.get("aggregations"))
        return parse_aggregations(spec) if spec is not None else []

    def _fields(self, body: dict[str, Any], params: dict[str, str]) -> None:
        stored = params.get("stored_fields", body.get("stored_fields"))
        if isinstance(stored, str):
            stored = [s for s in stored.split(",") if s]
        self.stored_fields: list[str] | None = stored
        source_asked = "_source" in body or any(
            k in params for k in ("_source", "_source_includes", "_source_excludes")
        )
        if stored is not None and "_source" not in stored and not source_asked:
            # stored fields other than _source are not kept: only _source can come back
            self.source = (False, [], [])
        docvalue = body.get("docvalue_fields")
        if "docvalue_fields" in params:
            docvalue = [s for s in params["docvalue_fields"].split(",") if s]
        self.docvalue_fields = _field_formats(docvalue, "docvalue_fields")
        self.fields = _field_formats(body.get("fields"), "fields")

    count_only = False  # ``_count``: no hits, so scores matter only for ``min_score``
    verbatim_source = False  # REST responses: unfiltered ``_source`` bytes as stored

    @property
    def needs_scores(self) -> bool:
        if self.count_only:
            return self.min_score is not None
        if self.sort is None or self.track_scores or self.min_score is not None:
            return True
        if any(s.field == "_score" for s in self.sort) or self.features:
            return True
        return any(a.needs_scores() for a in self.aggs)

    def hooks(self) -> list[tuple[SearchFeature, Any]]:
        """The features of this request with their specs, in hook order."""
        registry = features()
        return sorted(
            ((registry[k], spec) for k, spec in self.features.items()), key=lambda p: p[0].order
        )


def _token(value: Any) -> str:
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    return "VALUE_NUMBER"


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise IllegalArgumentError(f"Failed to parse int parameter [{name}] with value [{value}]")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise IllegalArgumentError(
            f"Failed to parse int parameter [{name}] with value [{value}]"
        ) from None


def _float_or_none(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ParsingError(f"[{name}] must be a number, found [{value}]") from None


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "")


def _track_total_hits(value: Any) -> bool | int:
    if value is None:
        return DEFAULT_TRACK_TOTAL_HITS
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text == "true":
        return True
    if text == "false":
        return False
    try:
        number = int(text)
    except ValueError:
        raise IllegalArgumentError(
            f"Failed to parse value [{value}] as only [true] or [false] are allowed."
        ) from None
    if number == -1:
        return True
    if number < 0:
        raise IllegalArgumentError(
            f"[track_total_hits] parameter must be positive or equals to -1, got {number}"
        )
    return number


def _terminate_after(value: Any) -> int | None:
    if value is None:
        return None
    number = _int(value, "terminate_after")
    if number < 0:
        raise IllegalArgumentError("terminateAfter must be > 0")
    return number or None


def _indices_boost(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    items = value if isinstance(value, list) else [value]
    out: dict[str, float] = {}
    for item in items:
        if not isinstance(item, dict):
            raise ParsingError("[indices_boost] must be an array of {index: boost} objects")
        for name, boost in item.items():
            out[str(name)] = float(boost)
    return out


def _field_formats(value: Any, key: str) -> list[tuple[str, str | None]]:
    """``["a", {"field": "b", "format": "..."}]`` -> [(pattern, format)]."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, str | None]] = []
    for item in items:
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict) and "field" in item:
            unknown = set(item) - {"field", "format", "include_unmapped"}
            if unknown:
                raise ParsingError(f"[{key}] unknown field [{sorted(unknown)[0]}]")
            fmt = item.get("format")
            out.append((str(item["field"]), None if fmt == "use_field_mapping" else fmt))
        else:
            raise ParsingError(f"[{key}] expects strings or objects with a [field]")
    return out
