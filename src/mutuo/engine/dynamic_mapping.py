"""Dynamic mapping: the mapping OpenSearch gives a field seen for the first time.

It follows ``DocumentParser.createBuilderFromDynamicValue``: the JSON type decides
(``long``, ``float``, ``boolean``, object), strings are numbers only with
``numeric_detection``, dates when a ``dynamic_date_formats`` entry parses them (never when
Java reads them as numbers), else ``text`` with a ``keyword`` sub-field. A matching
``dynamic_templates`` entry wins over each default.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from typing import Any

from . import dates

# RootObjectMapper's defaults: ISO dates, then slash dates (whose mapping names the format)
_DYNAMIC_DATE_FORMATS = [
    "strict_date_optional_time",
    "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis",
]
_JAVA_LONG = re.compile(r"[+-]?\d+")
_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)")
_TEXT = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
# XContentFieldType -> the type `{dynamic_type}` stands for
_DEFAULT_TYPES = {
    "object": "object",
    "boolean": "boolean",
    "long": "long",
    "double": "float",
    "date": "date",
    "string": "text",
}


def dynamic_definition(root: dict[str, Any], path: str, value: Any) -> dict[str, Any] | None:
    """The mapping for a new field at ``path`` (``None``: nothing to map, e.g. null)."""
    sample = value
    if isinstance(value, list):
        sample = next((v for v in value if v is not None), None)
    if sample is None:
        return None
    default: dict[str, Any]
    if isinstance(sample, dict):
        kind, default = "object", {"properties": {}}
    elif isinstance(sample, bool):
        kind, default = "boolean", {"type": "boolean"}
    elif isinstance(sample, int):
        kind, default = "long", {"type": "long"}
    elif isinstance(sample, float):
        kind, default = "double", {"type": "float"}
    elif isinstance(sample, str):
        kind, default = _string_kind(sample, root)
    else:
        return None
    template = _template(root, path, kind)
    return default if template is None else template


def _string_kind(sample: str, root: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    as_long = _JAVA_LONG.fullmatch(sample) is not None and -(2**63) <= int(sample) < 2**63
    as_double = _JAVA_DOUBLE.fullmatch(sample.strip()) is not None
    if root.get("numeric_detection", False) and (as_long or as_double):
        return ("long", {"type": "long"}) if as_long else ("double", {"type": "float"})
    if not as_long and not as_double and root.get("date_detection", True):
        formats = root.get("dynamic_date_formats", _DYNAMIC_DATE_FORMATS)
        for fmt in [formats] if isinstance(formats, str) else formats:
            try:
                dates.date_format(fmt).parse(sample)
            except ValueError:
                continue
            if fmt == _DYNAMIC_DATE_FORMATS[0]:
                return "date", {"type": "date"}
            return "date", {"type": "date", "format": fmt, "print_format": fmt.split("||")[0]}
    return "string", copy.deepcopy(_TEXT)


def _matches(pattern: str, value: str, spec: dict[str, Any]) -> bool:
    if spec.get("match_pattern") == "regex":
        return re.fullmatch(pattern, value) is not None
    return fnmatch.fnmatchcase(value, pattern)


def _template(root: dict[str, Any], path: str, kind: str) -> dict[str, Any] | None:
    """The mapping of the first ``dynamic_templates`` entry that matches, if any."""
    name = path.rsplit(".", 1)[-1]
    for entry in root.get("dynamic_templates", []):
        ((_tname, spec),) = entry.items()
        if spec.get("match_mapping_type", "*") not in ("*", kind):
            continue
        if "match" in spec and not _matches(spec["match"], name, spec):
            continue
        if "unmatch" in spec and _matches(spec["unmatch"], name, spec):
            continue
        if "path_match" in spec and not _matches(spec["path_match"], path, spec):
            continue
        if "path_unmatch" in spec and _matches(spec["path_unmatch"], path, spec):
            continue
        return _substitute(copy.deepcopy(spec.get("mapping", {})), name, _DEFAULT_TYPES[kind])
    return None


def _substitute(mapping: Any, name: str, dyn_type: str) -> Any:
    if isinstance(mapping, dict):
        return {k: _substitute(v, name, dyn_type) for k, v in mapping.items()}
    if isinstance(mapping, list):
        return [_substitute(v, name, dyn_type) for v in mapping]
    if isinstance(mapping, str):
        return mapping.replace("{name}", name).replace("{dynamic_type}", dyn_type)
    return mapping
