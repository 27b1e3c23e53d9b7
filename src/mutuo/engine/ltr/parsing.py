"""Strict JSON-object reading with the error wording of OpenSearch's ``ObjectParser``.

The plugin reads every element, model definition and search extension with declared
fields: an unknown field or a value of the wrong JSON type is an error naming the parser
(``[node] unknown field [gain]``), never silently skipped. These helpers give the same
behaviour to plain parsed JSON.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import XContentParseError


def token(value: Any) -> str:
    """The Jackson token name of a JSON value (for error messages)."""
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    if value is None:
        return "VALUE_NULL"
    return "VALUE_NUMBER"


def check_object(value: Any, parser: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise XContentParseError(f"[{parser}] Expected START_OBJECT but was: {token(value)}")
    return value


def check_fields(obj: dict[str, Any], parser: str, allowed: set[str] | tuple[str, ...]) -> None:
    for key in obj:
        if key not in allowed:
            raise XContentParseError(f"[{parser}] unknown field [{key}]")


def _wrong(parser: str, field: str, value: Any) -> XContentParseError:
    return XContentParseError(f"[{parser}] {field} doesn't support values of type: {token(value)}")


def as_str(value: Any, parser: str, field: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(parser, field, value)
    return str(value)


def as_int(value: Any, parser: str, field: str) -> int:
    """An int field: numbers and numeric strings are accepted, as Jackson coerces them."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise _wrong(parser, field, value)
    try:
        number = float(value)
    except ValueError:
        raise XContentParseError(
            f'[{parser}] failed to parse field [{field}]: For input string: "{value}"'
        ) from None
    if not math.isfinite(number):
        raise XContentParseError(f"[{parser}] failed to parse field [{field}]")
    return int(number)


def as_float(value: Any, parser: str, field: str) -> float:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise _wrong(parser, field, value)
    try:
        return float(value)
    except ValueError:
        raise XContentParseError(
            f'[{parser}] failed to parse field [{field}]: For input string: "{value}"'
        ) from None


def as_bool(value: Any, parser: str, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise _wrong(parser, field, value)


def as_str_list(value: Any, parser: str, field: str) -> list[str]:
    """A string array field; a single value counts as a one-element array."""
    items = value if isinstance(value, list) else [value]
    return [as_str(item, parser, field) for item in items]
