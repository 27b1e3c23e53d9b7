"""Field types: how a mapping parameter block reads a document value.

Each type turns a JSON value from ``_source`` into what the engine indexes (a string, a
number, epoch millis, a (lat, lon) pair, a float32 vector) or raises ``ValueError`` with
OpenSearch's wording; :mod:`.mapping` turns that into a ``mapper_parsing_exception``.
The ``kind`` of a field names the column family that stores it (see :mod:`.columns`).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import dates, geo
from .analysis import get_analyzer
from .errors import MapperParsingError
from .vectors_mapping import validate_knn_vector

INTEGER_RANGES = {
    "long": (-(2**63), 2**63 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
    "unsigned_long": (0, 2**64 - 1),
}
FLOAT_TYPES = {"double", "float", "half_float", "scaled_float"}
NUMERIC_TYPES = set(INTEGER_RANGES) | FLOAT_TYPES

# Kinds of column a field is stored in.
KEYWORD, TEXT, NUMBER, DATE, BOOLEAN, GEO_POINT, VECTOR, STORED_ONLY, ALIAS = (
    "keyword",
    "text",
    "number",
    "date",
    "boolean",
    "geo_point",
    "vector",
    "stored",
    "alias",
)

SUPPORTED_TYPES = {
    "keyword",
    "text",
    "boolean",
    "date",
    "date_nanos",
    "geo_point",
    "knn_vector",
    "binary",
    "alias",
    *NUMERIC_TYPES,
}

_COMMON_PARAMS = {"type", "index", "doc_values", "store", "copy_to", "fields", "meta", "null_value"}
_PARAMS: dict[str, set[str]] = {
    "keyword": {
        "ignore_above",
        "normalizer",
        "similarity",
        "use_similarity",
        "eager_global_ordinals",
        "split_queries_on_whitespace",
        "norms",
        "index_options",
    },
    "text": {
        "analyzer",
        "search_analyzer",
        "search_quote_analyzer",
        "similarity",
        "norms",
        "position_increment_gap",
        "fielddata",
        "index_options",
        "term_vector",
        "eager_global_ordinals",
        "index_phrases",
        "index_prefixes",
    },
    "boolean": {"boost"},
    "date": {"format", "ignore_malformed", "locale", "boost", "print_format"},
    "date_nanos": {"format", "ignore_malformed", "locale", "boost"},
    "geo_point": {"ignore_malformed", "ignore_z_value"},
    "knn_vector": {
        "dimension",
        "data_type",
        "method",
        "space_type",
        "mode",
        "compression_level",
        "model_id",
        "engine",
    },
    "binary": set(),
    "alias": {"path"},
}
for _t in NUMERIC_TYPES:
    _PARAMS[_t] = {"coerce", "ignore_malformed", "boost", "scaling_factor"}


@dataclass
class FieldMapper:
    """One concrete field (a multi-field such as ``name.keyword`` is a field too)."""

    path: str
    type: str
    params: dict[str, Any]
    kind: str = field(init=False)

    def __post_init__(self) -> None:
        t = self.type
        if t not in SUPPORTED_TYPES:
            raise MapperParsingError(
                f"No handler for type [{t}] declared on field [{self.path.rsplit('.', 1)[-1]}]"
            )
        allowed = _COMMON_PARAMS | _PARAMS.get(t, set())
        for key in self.params:
            if key not in allowed:
                raise MapperParsingError(
                    f"unknown parameter [{key}] on mapper [{self.path}] of type [{t}]"
                )
        self.kind = {
            "keyword": KEYWORD,
            "text": TEXT,
            "boolean": BOOLEAN,
            "date": DATE,
            "date_nanos": DATE,
            "geo_point": GEO_POINT,
            "knn_vector": VECTOR,
            "binary": STORED_ONLY,
            "alias": ALIAS,
        }.get(t, NUMBER)
        if t == "text":
            self.analyzer = get_analyzer(self.params.get("analyzer", "standard"), self.path)
            self.search_analyzer = get_analyzer(
                self.params.get("search_analyzer", self.params.get("analyzer", "standard")),
                self.path,
            )
        if t == "keyword" and self.params.get("normalizer") not in (None,):
            raise MapperParsingError(
                f"normalizer [{self.params['normalizer']}] not found for field [{self.path}]"
            )
        if self.kind == DATE:
            try:
                self.date_format = dates.date_format(self.params.get("format"))
            except ValueError as exc:
                raise MapperParsingError(str(exc)) from None
        if t == "scaled_float" and "scaling_factor" not in self.params:
            raise MapperParsingError("Field [scaling_factor] is required")
        if self.kind == VECTOR:
            self.vector = validate_knn_vector(self.path, self.params)
        if self.kind == ALIAS and "path" not in self.params:
            raise MapperParsingError(
                f"The [path] property must be specified for field [{self.path}]."
            )
        copy_to = self.params.get("copy_to", [])
        self.copy_to: list[str] = [copy_to] if isinstance(copy_to, str) else list(copy_to)
        self.sub_fields: list[str] = [
            f"{self.path}.{name}" for name in self.params.get("fields") or {}
        ]
        self.indexed = bool(self.params.get("index", True))
        self.has_doc_values = bool(self.params.get("doc_values", True)) and self.kind != TEXT
        self._fast = _fast_converter(self)

    # -- properties ------------------------------------------------------------------

    @property
    def is_integer(self) -> bool:
        return self.type in INTEGER_RANGES

    # -- value conversion ------------------------------------------------------------

    def convert(self, value: Any) -> Any:
        """One JSON value -> the indexed value; ``None`` means "index nothing"."""
        fast = self._fast
        if fast is not None:
            converted = fast(value)
            if converted is not _SLOW:
                return converted
        if value is None:
            value = self.params.get("null_value")
            if value is None:
                return None
        kind = self.kind
        if kind == KEYWORD:
            text = _stringify(value)
            limit = self.params.get("ignore_above")
            if limit is not None and len(text) > int(limit):
                return None
            return text
        if kind == TEXT:
            return _stringify(value)
        if kind == NUMBER:
            return self._number(value)
        if kind == DATE:
            return self._date(value)
        if kind == BOOLEAN:
            return _boolean(value)
        if kind == GEO_POINT:
            return self._geo(value)
        if kind == VECTOR:
            return self.vector.convert(value)
        return value

    def _number(self, value: Any) -> int | float | None:
        coerce = self.params.get("coerce", True)
        if isinstance(value, bool):
            raise ValueError(f"Current token (VALUE_{str(value).upper()}) not numeric")
        if isinstance(value, str):
            if not coerce:
                raise ValueError(
                    "Current token (VALUE_STRING) not numeric, can not use numeric value accessors"
                )
            try:
                number: float | int = int(value) if _looks_int(value) else float(value)
            except ValueError:
                if self.params.get("ignore_malformed"):
                    return None
                raise ValueError(f'For input string: "{value}"') from None
        elif isinstance(value, int | float):
            number = value
        else:
            if self.params.get("ignore_malformed"):
                return None
            raise ValueError(f"Current token ({type(value).__name__.upper()}) not numeric")
        if self.type in INTEGER_RANGES:
            if isinstance(number, float):
                if not math.isfinite(number):
                    raise ValueError(
                        f"[{self.type}] supports only finite values, but got [{number}]"
                    )
                if not coerce and number != int(number):
                    raise ValueError(f"Value [{number}] has a decimal part")
                number = int(number)
            lo, hi = INTEGER_RANGES[self.type]
            if not lo <= number <= hi:
                if self.params.get("ignore_malformed"):
                    return None
                raise ValueError(f"Value [{number}] is out of range for {_java_type(self.type)}")
            return int(number)
        number = float(number)
        if not math.isfinite(number):
            raise ValueError(f"[{self.type}] supports only finite values, but got [{number}]")
        if self.type in ("float", "half_float"):
            with np.errstate(over="ignore"):  # Java's parseFloat also rounds to infinity
                narrowed = float((np.float32 if self.type == "float" else np.float16)(number))
            if not math.isfinite(narrowed):
                java = "Infinity" if narrowed > 0 else "-Infinity"
                raise ValueError(f"[{self.type}] supports only finite values, but got [{java}]")
            return narrowed
        if self.type == "scaled_float":
            factor = float(self.params["scaling_factor"])
            return round(number * factor) / factor
        return number

    def _date(self, value: Any) -> int | None:
        try:
            return self.date_format.parse(value)
        except ValueError:
            if self.params.get("ignore_malformed"):
                return None
            raise

    def _geo(self, value: Any) -> tuple[float, float] | None:
        try:
            return geo.parse_point(value)
        except geo.GeoParseError:
            if self.params.get("ignore_malformed"):
                return None
            raise


_SLOW = object()  # a fast converter's answer: "not my case, take the general path"
_FLOAT32 = struct.Struct("<f")


def _fast_converter(mapper: FieldMapper) -> Callable[[Any], Any] | None:
    """A converter for the values most documents hold (a string for a string field, an
    in-range number for a number field), answering ``_SLOW`` for anything else so the
    general path keeps every rule and error message. Mapping a document is per-field
    Python work on every write: this keeps it to a type check and a return."""
    params, kind = mapper.params, mapper.kind
    if "null_value" in params:
        return None
    if kind in (KEYWORD, TEXT):
        limit = params.get("ignore_above")
        if limit is None or kind == TEXT:
            return lambda v: v if type(v) is str else _SLOW
        limit = int(limit)
        return lambda v: (v if len(v) <= limit else None) if type(v) is str else _SLOW
    if kind == DATE:
        quick = mapper.date_format.quick
        return lambda v: _SLOW if (millis := quick(v)) is None else millis
    if kind != NUMBER or params.get("ignore_malformed"):
        return None
    if mapper.type in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[mapper.type]
        return lambda v: v if type(v) is int and lo <= v <= hi else _SLOW
    if mapper.type == "double":
        return lambda v: v if type(v) is float and math.isfinite(v) else _SLOW
    if mapper.type == "float":
        return _fast_float32
    return None


def _fast_float32(value: Any) -> Any:
    """A finite JSON number narrowed to float32 as Java's ``parseFloat`` rounds it
    (``struct`` rounds to nearest like numpy, and refuses what would overflow)."""
    t = type(value)
    if t is float:
        if not math.isfinite(value):
            return _SLOW
    elif t is not int or not -(2**53) <= value <= 2**53:
        return _SLOW
    try:
        return _FLOAT32.unpack(_FLOAT32.pack(value))[0]
    except OverflowError:  # beyond float32: the general path words the error
        return _SLOW


def _looks_int(text: str) -> bool:
    t = text.strip()
    return t.lstrip("+-").isdigit()


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise ValueError(
            f"Can't get text on a {'START_OBJECT' if isinstance(value, dict) else 'START_ARRAY'}"
        )
    return str(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true",):
        return True
    if value in ("false", ""):
        return False
    raise ValueError(f"Failed to parse value [{value}] as only [true] or [false] are allowed.")


def _java_type(t: str) -> str:
    return {"long": "long", "integer": "integer", "short": "short", "byte": "byte"}.get(t, t)
