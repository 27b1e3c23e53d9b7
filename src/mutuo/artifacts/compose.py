"""What an index built from a composable template will look like, computed client-side.

``mutuo apply`` must decide, without creating anything, whether a managed index still
matches its template. It composes the template the way OpenSearch does at index
creation (component templates in ``composed_of`` order, then the template's own block;
later layers win), splits the settings into *static* ones (fixed at creation: a change
needs a new index and a reindex) and *dynamic* ones (updated in place), and digests the
static layout. The digest is written into the index mapping's ``_meta`` so a later run
compares digests instead of re-deriving OpenSearch's normalisation of mappings.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import orjson

# Settings fixed at index creation (or only changeable on a closed index): a difference
# means a new physical index.
STATIC_SETTINGS = {
    "index.number_of_shards",
    "index.number_of_routing_shards",
    "index.knn",
    "index.codec",
}
STATIC_PREFIXES = ("index.analysis.", "index.similarity.", "index.sort.")


def canonical(value: Any) -> bytes:
    """Canonical JSON bytes (sorted keys) for digests."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def digest(*values: Any) -> str:
    h = hashlib.sha256()
    for value in values:
        h.update(canonical(value))
        h.update(b"\x00")
    return h.hexdigest()[:16]


def flatten_settings(settings: dict[str, Any] | None) -> dict[str, Any]:
    """OpenSearch's flat form: ``{"index": {"knn": true}}`` -> ``{"index.knn": "true"}``."""
    out: dict[str, Any] = {}
    _flatten("", settings or {}, out)
    return {(k if k.startswith("index.") else f"index.{k}"): v for k, v in out.items()}


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
    else:
        out[prefix] = _setting_str(value)


def _setting_str(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_setting_str(v) for v in value]
    return None if value is None else str(value)


def is_static(key: str) -> bool:
    return key in STATIC_SETTINGS or key.startswith(STATIC_PREFIXES)


def merge_mappings(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    """Layer a mapping over another: properties merge by field, a redefined field is
    replaced whole, other root keys are replaced."""
    out = copy.deepcopy(base)
    for key, value in layer.items():
        if key == "properties" and isinstance(value, dict):
            out["properties"] = _merge_properties(out.get("properties", {}), value)
        elif key == "_meta" and isinstance(value, dict):
            out["_meta"] = {**out.get("_meta", {}), **copy.deepcopy(value)}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_properties(base: dict[str, Any], layer: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for name, spec in layer.items():
        current = out.get(name)
        if (
            isinstance(current, dict)
            and isinstance(spec, dict)
            and "properties" in current
            and "properties" in spec
            and spec.get("type", "object") == current.get("type", "object")
        ):
            out[name] = merge_mappings(current, spec)
        else:
            out[name] = copy.deepcopy(spec)
    return out


def compose(
    template: dict[str, Any], components: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(mappings, flat settings) of an index created from ``template``.

    ``components`` maps component template names to their bodies; names missing from it
    are skipped here (validation reports them).
    """
    mappings: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    layers = [
        components[c].get("template", {})
        for c in template.get("composed_of", [])
        if c in components
    ]
    layers.append(template.get("template", {}) or {})
    for layer in layers:
        settings.update(flatten_settings(layer.get("settings")))
        if layer.get("mappings"):
            mappings = merge_mappings(mappings, layer["mappings"])
    return mappings, settings


def field_specs(mappings: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every field path of a mapping (objects included, multi-fields as ``a.keyword``)."""
    out: dict[str, dict[str, Any]] = {}
    for name, spec in (mappings.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        path = f"{prefix}{name}"
        out[path] = spec
        if "properties" in spec:
            out.update(field_specs(spec, f"{path}."))
        for sub, sub_spec in (spec.get("fields") or {}).items():
            if isinstance(sub_spec, dict):
                out[f"{path}.{sub}"] = sub_spec
    return out


def layout_digest(mappings: dict[str, Any], settings: dict[str, Any]) -> str:
    """The digest of what a reindex would be needed to change."""
    body = {k: v for k, v in mappings.items() if k != "_meta"}  # _meta is documentation
    static = {k: v for k, v in settings.items() if is_static(k)}
    return digest(body, static)


def dynamic_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if not is_static(k)}
