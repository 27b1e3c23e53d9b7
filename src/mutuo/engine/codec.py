"""JSON and NDJSON on the wire, with OpenSearch's parse errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

from .errors import IllegalArgumentError, OpenSearchError


class JsonParseError(OpenSearchError):
    status = 400
    error_type = "json_parse_exception"


# orjson reads integers outside [-2**63, 2**64 - 1] as floats; such documents take the
# exact stdlib path. Only an integer of 20+ digits, or 19 after a minus sign, can be out
# of range: a 19-digit positive integer (an external version, a cluster time) always
# fits, and must not send every document that holds one down the slow path. Candidates
# are screened on a translated copy (digits -> "0", ".eE" -> ".", "-" kept, the rest ->
# " "), where a literal-prefix regex runs at C speed even on bodies full of numbers, such
# as the embedding of a knn query; the exact pattern then checks the values.
_CLASSES = bytes(
    0x30 if 0x30 <= i <= 0x39 else 0x2E if i in b".eE" else 0x2D if i == 0x2D else 0x20
    for i in range(256)
)
_CANDIDATE = re.compile(rb"(?: 0{20,}|-0{19,}) ")
_BIG_INT = re.compile(rb"(?<![.\deE])-?\d{19,}(?![.\deE])")


# Every _CANDIDATE match holds a run of 19 digits after "-", or of 20 after anything but
# "." (a fraction) or "-": ``bytes.find`` of 19 digits skips through a body of short
# numbers several times faster than the regex, which stops at each " 0"; a vector's long
# fractions (0.00012299999641254544) and 19-digit versions are stepped over in Python.
_RUN = b"0" * 19
_DIGIT, _DOT, _MINUS = 0x30, 0x2E, 0x2D


def _may_hold_big_int(classes: bytes) -> bool:
    at = classes.find(_RUN)
    while at >= 0:
        before = classes[at - 1] if at else 0x20
        end = at + len(_RUN)
        if before == _MINUS or (before != _DOT and end < len(classes) and classes[end] == _DIGIT):
            return True
        while end < len(classes) and classes[end] == _DIGIT:  # the rest of this run
            end += 1
        at = classes.find(_RUN, end)
    return False


def _has_big_int(raw: bytes) -> bool:
    classes = raw.translate(_CLASSES)
    if not _may_hold_big_int(classes) or not _CANDIDATE.search(b" " + classes + b" "):
        return False
    return any(not -(2**63) <= int(m) <= 2**64 - 1 for m in _BIG_INT.findall(raw))


def loads(data: bytes | str) -> Any:
    """Parse one JSON document; a syntax error becomes a 400 ``json_parse_exception``."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        if _has_big_int(raw):
            return json.loads(raw)
        return orjson.loads(raw)
    except (orjson.JSONDecodeError, json.JSONDecodeError) as exc:
        raise JsonParseError(f"Unexpected character or end of input: {exc}") from None


def _loads_fitting(raw: bytes) -> Any:
    """:func:`loads` of JSON already screened for integers beyond 64 bits."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise JsonParseError(f"Unexpected character or end of input: {exc}") from None


Loads = Callable[[bytes], Any]


def loader(body: bytes) -> Loads:
    """:func:`loads` for the parts of one body (the lines of an NDJSON request): when the
    whole body holds no integer beyond 64 bits, one screen of it spares each part its own."""
    return loads if _has_big_int(body) else _loads_fitting


class RawJson:
    """JSON bytes to embed verbatim in a response (a ``_source`` exactly as it was sent)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawJson) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)


def fragment(value: Any) -> Any:
    """orjson's ``default``: :class:`RawJson` written verbatim."""
    if isinstance(value, RawJson):
        return orjson.Fragment(value.data)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def thaw(value: Any) -> Any:
    """``value`` with every :class:`RawJson` parsed (to filter or inspect a response)."""
    if isinstance(value, RawJson):
        return loads(value.data)
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, list):
        return [thaw(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(
            value,
            default=fragment,
            option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
        )
    except TypeError:  # integers beyond 64 bits
        return json.dumps(thaw(value), separators=(",", ":"), ensure_ascii=False).encode()


def loads_object(
    data: bytes | str | None, what: str = "request body", parse: Loads | None = None
) -> dict[str, Any]:
    """Parse a body that must be a JSON object (an empty body is ``{}``); ``parse``: a
    :func:`loader` of the request it is part of."""
    if data is None or (isinstance(data, bytes | str) and not data.strip()):
        return {}
    value = loads(data) if parse is None or isinstance(data, str) else parse(data)
    if not isinstance(value, dict):
        raise IllegalArgumentError(f"{what} must be a JSON object")
    return value


def ndjson_lines(data: bytes | str | None) -> list[bytes]:
    """Split an NDJSON body into its non-empty lines, keeping line positions honest.

    Returns every line (empty ones included) so callers can report 1-based line numbers
    as OpenSearch does ("Malformed action/metadata line [3] ...").
    """
    if data is None:
        return []
    if isinstance(data, str):
        data = data.encode()
    return data.split(b"\n")
