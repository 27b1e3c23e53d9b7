"""Search pipelines: stored definitions, validation, and resolution for a search request.

A pipeline is cluster metadata (kind ``search_pipeline`` in the store). The subset the
engine runs:

* ``request_processors``: ``filter_query`` (the search-pipeline-common module);
* ``phase_results_processors``: neural-search's ``normalization-processor`` and
  ``score-ranker-processor`` (one per pipeline), which act on ``hybrid`` queries only.

Other processor types are refused when the pipeline is stored, so a pipeline that is
accepted is a pipeline that runs exactly. Selection follows ``SearchPipelineService``:
an inline pipeline object in the body (temporary), else ``search_pipeline`` from the URL
or the body, else ``index.search.default_pipeline`` of the single index the request
names; ``_none`` selects no pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import IllegalArgumentError, OpenSearchError
from .hybrid_math import (
    Combination,
    Normalization,
    check_compatible,
    make_combination,
    make_normalization,
)
from .queries import parse_query

if TYPE_CHECKING:
    from .engine import Engine

KIND = "search_pipeline"
NO_PIPELINE = "_none"
NORMALIZATION = "normalization-processor"
SCORE_RANKER = "score-ranker-processor"
# Processors OpenSearch (core and plugins) has but the embedded engine does not run.
_OTHER_KNOWN = {
    "script",
    "oversample",
    "neural_query_enricher",
    "neural_sparse_two_phase_processor",
    "rename_field",
    "truncate_hits",
    "collapse",
    "sort",
    "split",
    "rerank",
    "personalize_search_ranking",
    "retrieval_augmented_generator",
    "hybrid_score_explanation",
    "ml_inference",
    "ubi",
}


class ParseError(OpenSearchError):
    status = 400
    error_type = "parse_exception"


class SearchPipelineProcessingError(OpenSearchError):
    error_type = "search_pipeline_processing_exception"


@dataclass
class PhaseProcessor:
    """A normalization or score-ranker processor, ready to combine hybrid results."""

    kind: str
    normalization: Normalization
    combination: Combination
    tag: str | None = None


@dataclass
class SearchPipeline:
    id: str
    filters: list[dict[str, Any]] = field(default_factory=list)  # filter_query bodies
    phase: PhaseProcessor | None = None

    def transform_request(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply the request processors (``filter_query`` wraps the query in a bool)."""
        for filter_body in self.filters:
            wrapped: dict[str, Any] = {"filter": [filter_body]}
            if "query" in body:
                wrapped["must"] = [body["query"]]
            body = {**body, "query": {"bool": wrapped}}
        return body


@dataclass(frozen=True)
class ResolvedPipeline:
    """What the search executor receives under the ``search_pipeline`` body key."""

    pipeline: SearchPipeline | None


# -- parsing and validation -------------------------------------------------------------


def parse_pipeline(pipeline_id: str, definition: Any) -> SearchPipeline:
    """Validate a definition the way ``PipelineWithMetrics.create`` does."""
    if not isinstance(definition, dict):
        raise ParseError("request body is required")
    config = dict(definition)
    description = config.pop("description", None)
    if description is not None and not isinstance(description, str):
        raise ParseError("[description] property isn't a string")
    version = config.pop("version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ParseError("[version] property isn't an integer")
    pipeline = SearchPipeline(pipeline_id)
    for ptype, cfg in _processors(config.pop("request_processors", None), "request_processors"):
        if ptype != "filter_query":
            raise _unknown(ptype)
        pipeline.filters.append(_filter_query(cfg))
    for ptype, _cfg in _processors(config.pop("response_processors", None), "response_processors"):
        raise _unknown(ptype)
    for ptype, cfg in _processors(
        config.pop("phase_results_processors", None), "phase_results_processors"
    ):
        if ptype not in (NORMALIZATION, SCORE_RANKER):
            raise _unknown(ptype)
        if pipeline.phase is not None:
            raise IllegalArgumentError(
                "the embedded engine runs one normalization or score-ranker processor per pipeline"
            )
        pipeline.phase = _phase_processor(ptype, cfg)
    if config:
        raise ParseError(
            f"pipeline [{pipeline_id}] doesn't support one or more provided configuration "
            f"parameters [{', '.join(config)}]"
        )
    return pipeline


def _processors(value: Any, key: str) -> list[tuple[str, dict[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"[{key}] property isn't a list, but of type [{type(value).__name__}]")
    out = []
    for item in value:
        if not isinstance(item, dict):
            raise ParseError(f"[{key}] must contain processor objects")
        for ptype, cfg in item.items():
            if not isinstance(cfg, dict):
                raise ParseError(f"[{ptype}] processor configuration must be an object")
            out.append((ptype, dict(cfg)))
    return out


def _unknown(ptype: str) -> IllegalArgumentError:
    if ptype in _OTHER_KNOWN or ptype in (NORMALIZATION, SCORE_RANKER, "filter_query"):
        return IllegalArgumentError(
            f"search processor [{ptype}] is not supported by the embedded engine here; it runs "
            "[filter_query] request processors and [normalization-processor] / "
            "[score-ranker-processor] phase results processors"
        )
    return IllegalArgumentError(f"Invalid processor type {ptype}")


def _common(ptype: str, cfg: dict[str, Any]) -> str | None:
    """Read ``tag``, ``description`` and ``ignore_failure`` (every processor has them)."""
    tag = cfg.pop("tag", None)
    cfg.pop("description", None)
    ignore = cfg.pop("ignore_failure", False)
    if not isinstance(ignore, bool):
        raise ParseError(f"[ignore_failure] property of [{ptype}] isn't a boolean")
    return None if tag is None else str(tag)


def _leftovers(ptype: str, tag: str | None, cfg: dict[str, Any]) -> None:
    if cfg:
        name = ptype if tag is None else f"{ptype}:{tag}"
        raise ParseError(
            f"processor [{name}] doesn't support one or more provided configuration parameters: "
            f"[{', '.join(cfg)}]"
        )


def _filter_query(cfg: dict[str, Any]) -> dict[str, Any]:
    tag = _common("filter_query", cfg)
    query = cfg.pop("query", None)
    if not isinstance(query, dict):
        raise IllegalArgumentError(
            "Did not specify the query property in processor of type filter_query"
        )
    parse_query(query)  # validate now: a stored pipeline must run
    _leftovers("filter_query", tag, cfg)
    return query


def _optional_map(cfg: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = cfg.pop(key, None)
    if value is not None and not isinstance(value, dict):
        raise ParseError(f"[{key}] property isn't a map, but of type [{type(value).__name__}]")
    return value


def _phase_processor(ptype: str, cfg: dict[str, Any]) -> PhaseProcessor:
    tag = _common(ptype, cfg)
    if ptype == NORMALIZATION:
        norm = _optional_map(cfg, "normalization") or {}
        comb = _optional_map(cfg, "combination") or {}
        normalization = make_normalization(
            str(norm.get("technique", "min_max")), _optional_map(dict(norm), "parameters")
        )
        combination_name = str(comb.get("technique", "arithmetic_mean"))
        combination = make_combination(combination_name, _optional_map(dict(comb), "parameters"))
        check_compatible(normalization.name, combination_name)
    else:
        comb = _optional_map(cfg, "combination") or {}
        params = {"rank_constant": comb["rank_constant"]} if "rank_constant" in comb else {}
        normalization = make_normalization("rrf", params)
        combination = make_combination(
            str(comb.get("technique", "rrf")), _optional_map(dict(comb), "parameters")
        )
    _leftovers(ptype, tag, cfg)
    return PhaseProcessor(ptype, normalization, combination, tag)


# -- storage and resolution -------------------------------------------------------------


def stored(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every stored pipeline definition by id (the store is the source of truth)."""
    return dict(engine.store.meta_items(KIND))


def load(engine: Engine, pipeline_id: str) -> SearchPipeline:
    cache: dict[str, SearchPipeline] = engine.extensions.setdefault("search_pipelines", {})
    pipeline = cache.get(pipeline_id)
    if pipeline is None:
        definition = stored(engine).get(pipeline_id)
        if definition is None:
            raise IllegalArgumentError(f"Pipeline {pipeline_id} is not defined")
        pipeline = cache[pipeline_id] = parse_pipeline(pipeline_id, definition)
    return pipeline


def forget(engine: Engine, pipeline_id: str) -> None:
    engine.extensions.setdefault("search_pipelines", {}).pop(pipeline_id, None)


def resolve(
    engine: Engine, expression: str | None, body: dict[str, Any], params: dict[str, str]
) -> SearchPipeline | None:
    """The pipeline a search request runs through (None: no pipeline)."""
    inline = body.get("search_pipeline")
    named = params.get("search_pipeline")
    if isinstance(inline, dict):
        if named is not None:
            raise IllegalArgumentError(
                "Both named and inline search pipeline were specified. Please only specify one or "
                "the other."
            )
        try:
            return parse_pipeline("_ad_hoc_pipeline", inline)
        except OpenSearchError as err:
            raise _processing_error(err) from None
    if named is None and inline is not None:
        named = str(inline)
    if named is None and expression and "," not in expression and "*" not in expression:
        index = engine.indices.get(expression)
        if index is not None:
            named = index.settings.get("index.search.default_pipeline")
    if named is None or named == NO_PIPELINE:
        return None
    return load(engine, named)


def _processing_error(err: OpenSearchError) -> SearchPipelineProcessingError:
    java = {
        "illegal_argument_exception": "java.lang.IllegalArgumentException",
        "parse_exception": "org.opensearch.OpenSearchParseException",
    }.get(err.error_type, err.error_type)
    return SearchPipelineProcessingError(
        f"{java}: {err.reason}", status=err.status, caused_by=err, root_causes=[err]
    )
