"""The change model every source produces and the pipeline consumes.

A :class:`Change` is one insert, update, replace or delete of one source document with
its *version*: a number that grows with every change of the source (a MongoDB cluster
time ``(seconds << 32) | increment``, or the ``version`` of a change-log record). The
index keeps the version of the last change it applied, so replaying or reordering
changes can never bring back an older state.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

OPS = ("insert", "update", "replace", "delete")


class Change(NamedTuple):
    """One source change. A named tuple rather than a frozen dataclass: one is made per
    change read (thousands a second), and a frozen dataclass takes 3x longer to build."""

    op: str  # insert | update | replace | delete
    doc_id: str
    version: int
    document: dict[str, Any] | None  # the full document after the change; None for delete
    source_time: float  # unix seconds when the change happened at the source
    raw: str | None = None  # the undecodable input, when ``error`` is set
    error: str | None = None  # why the change could not be read (it goes to dead letters)
    plain: bool = False  # the document was decoded from JSON: already JSON-safe, as is

    @property
    def is_delete(self) -> bool:
        return self.op == "delete"


@dataclass(frozen=True)
class ChangeBatch:
    """Changes in source order, and the position to resume from once they are applied."""

    changes: list[Change]
    position: dict[str, Any]
    caught_up: bool = False  # the source had nothing more when this batch was cut
    phase: str = "stream"  # scan (a backfill's collection scan) | stream


def timestamp_version(seconds: int, increment: int) -> int:
    """A MongoDB cluster time ``Timestamp(seconds, increment)`` as one growing integer."""
    return (int(seconds) << 32) | int(increment)


def version_time(version: int) -> float:
    """The unix seconds encoded in a :func:`timestamp_version`."""
    return float(version >> 32)


_PLAIN = frozenset((str, int, float, bool, type(None)))


def json_safe(value: Any) -> Any:
    """A BSON value as plain JSON: datetimes as ISO 8601 (UTC, millis), ObjectIds and
    UUIDs as strings, Decimal128 as numbers, binary as base64."""
    kind = type(value)
    if kind in _PLAIN:  # exact types first: most documents hold nothing else
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): json_safe(v) for k, v in value.items()}
    if kind is list:
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value) if isinstance(value, uuid.UUID) else float(value)
    return _bson_safe(value)


def _bson_safe(value: Any) -> Any:
    from bson import Decimal128, ObjectId, Timestamp

    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, Decimal128):
        return float(value.to_decimal())
    if isinstance(value, Timestamp):
        return timestamp_version(value.time, value.inc)
    return str(value)


def doc_id_of(value: Any) -> str:
    """The index ``_id`` of a source id (ObjectId hex, the string itself, the number)."""
    if type(value) is str:
        return value
    safe = json_safe(value)
    if isinstance(safe, dict | list):
        from bson import json_util

        return json_util.dumps(value, json_options=json_util.CANONICAL_JSON_OPTIONS)
    return str(safe)
