"""Index settings: normalised to OpenSearch's flat ``index.*`` keys with string values."""

from __future__ import annotations

from typing import Any

from .errors import IllegalArgumentError

# Settings the engine understands (exact keys) and families it stores (prefixes).
KNOWN = {
    "index.number_of_shards",
    "index.number_of_replicas",
    "index.auto_expand_replicas",
    "index.refresh_interval",
    "index.max_result_window",
    "index.max_rescore_window",
    "index.max_inner_result_window",
    "index.max_terms_count",
    "index.max_docvalue_fields_search",
    "index.knn",
    "index.knn.algo_param.ef_search",
    "index.knn.space_type",
    "index.knn.advanced.approximate_threshold",
    "index.knn.advanced.filtered_exact_search_threshold",
    "index.knn.faiss.efficient_filter.disable_exact_search",
    "index.search.default_pipeline",
    "index.hidden",
    "index.gc_deletes",
    "index.ltrstore_version",
    "index.codec",
    "index.number_of_routing_shards",
    "index.query.default_field",
    "index.requests.cache.enable",
    "index.priority",
    "index.default_pipeline",
    "index.final_pipeline",
    "index.uuid",
    "index.version.created",
    "index.provided_name",
    "index.creation_date",
    "index.max_ngram_diff",
    "index.max_shingle_diff",
    "index.highlight.max_analyzed_offset",
    "index.mapping.total_fields.limit",
    "index.mapping.depth.limit",
    "index.mapping.nested_fields.limit",
    "index.mapping.ignore_malformed",
    "index.mapping.coerce",
    "index.blocks.read_only",
    "index.blocks.write",
    "index.blocks.read",
    "index.blocks.metadata",
    "index.blocks.read_only_allow_delete",
    "index.replication.type",
    "index.search.idle.after",
    # concurrent segment search: an execution strategy, results do not depend on it
    "index.search.concurrent_segment_search.mode",
    "index.search.concurrent_segment_search.enabled",
    "index.search.concurrent.max_slice_count",
    "index.unassigned.node_left.delayed_timeout",
    "index.routing.allocation.include._name",
}
FAMILIES = (
    "index.analysis.",
    "index.similarity.",
    "index.translog.",
    "index.routing.",
    "index.sort.",
    "index.merge.",
    "index.store.",
    "index.lifecycle.",
    "index.plugins.",
)
STATIC = {"index.number_of_shards", "index.knn", "index.codec", "index.number_of_routing_shards"}

DEFAULT_MAX_RESULT_WINDOW = 10_000
DEFAULT_MAX_RESCORE_WINDOW = 10_000
DEFAULT_MAX_TERMS_COUNT = 65_536


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
    else:
        out[prefix] = value


def _stringify(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if value is None:
        return None
    return str(value)


def normalize(settings: dict[str, Any] | None, validate: bool = True) -> dict[str, Any]:
    """``{"index": {"knn": true}}`` or ``{"knn": true}`` -> ``{"index.knn": "true"}``."""
    flat: dict[str, Any] = {}
    _flatten("", settings or {}, flat)
    out: dict[str, Any] = {}
    for key, value in flat.items():
        full = key if key.startswith("index.") else f"index.{key}"
        if validate and full not in KNOWN and not full.startswith(FAMILIES):
            raise IllegalArgumentError(
                f"unknown setting [{full}] please check that any required plugins are installed, "
                "or check the breaking changes documentation for removed settings"
            )
        out[full] = _stringify(value)
    return out


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Render flat settings as OpenSearch's nested JSON (``settings.index.knn``)."""
    root: dict[str, Any] = {}
    for key in sorted(flat):
        parts = key.split(".")
        node = root
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, dict):
                # "knn": "true" and "knn.algo_param.ef_search" side by side
                node[".".join(parts[i:])] = flat[key]
                break
            node = nxt
        else:
            leaf = parts[-1]
            if isinstance(node.get(leaf), dict):
                node[leaf] = {"": flat[key], **node[leaf]}
            else:
                node[leaf] = flat[key]
    return root


def get_int(flat: dict[str, Any], key: str, default: int) -> int:
    value = flat.get(key)
    return default if value is None else int(value)


def get_bool(flat: dict[str, Any], key: str, default: bool = False) -> bool:
    value = flat.get(key)
    return default if value is None else str(value).lower() == "true"
