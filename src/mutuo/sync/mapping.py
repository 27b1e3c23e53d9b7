"""Apply a sync mapping to one change: the index fields, the text to embed, the status.

Pure and deterministic (derived values depend only on the document and the change's
source time), so a replayed change maps to exactly the same index document.

The mapping is compiled once into flat rules (a source key, or a tuple of path parts for
a dotted path; the derived function itself) so that mapping a change costs a few dict
lookups per field, not a walk through the configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .changes import Change, json_safe
from .config import StatusRules, SyncMapping
from .derive import FUNCTIONS, DeriveContext, MappingError


@dataclass(slots=True)
class MappedDoc:
    """What the sink writes for one change."""

    doc_id: str
    version: int
    delete: bool
    fields: dict[str, Any]  # every owned field (None clears it); empty for a delete
    text: str | None  # the text to embed; None when the mapping embeds nothing or it is empty
    visible: bool  # whether recommendation may show this member
    source_time: float
    source: dict[str, Any] | None = None  # the source document (JSON-safe), for dead letters


def deleted(change: Change) -> MappedDoc:
    """The write that removes a change's document from the index."""
    return MappedDoc(change.doc_id, change.version, True, {}, None, False, change.source_time)


def visibility(status: StatusRules | None, fields: dict[str, Any]) -> bool | None:
    """Whether recommendation may show a mapped document, or None when its status
    deletes it (raises :class:`MappingError` for a status that is not a string)."""
    if status is None:
        return True
    value = fields.get(status.field)
    if value is not None and not isinstance(value, str):
        raise MappingError(f"status {value!r} is not a string")
    if value in status.delete:
        return None
    return value in status.visible


Parts = tuple[str, ...] | None  # the parts of a dotted source path; None: a top-level key
Derive = Callable[[list[Any], DeriveContext], Any]


def parts_of(path: str) -> Parts:
    return tuple(path.split(".")) if "." in path else None


def walk(document: dict[str, Any], parts: tuple[str, ...]) -> Any:
    """The value at a dotted path; None when it is missing (a missing value and a null
    one map the same way: the field is cleared or takes its default)."""
    node: Any = document
    for part in parts:
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


class Mapper:
    def __init__(self, mapping: SyncMapping) -> None:
        self.mapping = mapping
        self._fields = tuple(
            (r.target, r.source, parts_of(r.source), r.default) for r in mapping.fields
        )
        self._derived: tuple[tuple[str, Derive, tuple[tuple[str, Parts], ...]], ...] = tuple(
            (r.target, FUNCTIONS[r.function].apply, tuple((s, parts_of(s)) for s in r.sources))
            for r in mapping.derived
        )
        spec = mapping.embedding
        self._text = () if spec is None else tuple((p.field, p.prefix) for p in spec.text)
        self._context: tuple[float, DeriveContext] | None = None

    def map(self, change: Change) -> MappedDoc:
        """Raise :class:`MappingError` when the document cannot be indexed."""
        if change.is_delete:
            return deleted(change)
        if not isinstance(change.document, dict):
            raise MappingError(f"{change.op} without a document object")
        document = change.document if change.plain else json_safe(change.document)
        fields = self._fields_of(document, change.source_time)
        visible = visibility(self.mapping.status, fields)
        if visible is None:
            return deleted(change)
        return MappedDoc(
            change.doc_id,
            change.version,
            False,
            fields,
            self.text(fields),
            visible,
            change.source_time,
            document,
        )

    def _fields_of(self, document: dict[str, Any], source_time: float) -> dict[str, Any]:
        """The plain fields in rule order, then the derived ones (a derived field named
        like a plain one replaces its value in place)."""
        get = document.get
        out: dict[str, Any] = {}
        for target, key, parts, default in self._fields:
            value = get(key) if parts is None else walk(document, parts)
            out[target] = default if value is None else value
        ctx = self._derive_context(source_time)
        for target, apply, sources in self._derived:
            values = [
                get(key) if parts is None else walk(document, parts) for key, parts in sources
            ]
            try:
                out[target] = apply(values, ctx)
            except MappingError as exc:
                raise MappingError(f"derived field {target!r}: {exc}") from None
        return out

    def _derive_context(self, source_time: float) -> DeriveContext:
        """One context per source time (a batch's changes mostly share a few)."""
        cached = self._context
        if cached is not None and cached[0] == source_time:
            return cached[1]
        ctx = DeriveContext(datetime.fromtimestamp(source_time, tz=UTC))
        self._context = (source_time, ctx)
        return ctx

    def text(self, fields: dict[str, Any]) -> str | None:
        """The embedded text: the configured fields in order, lists joined by commas."""
        if self.mapping.embedding is None:
            return None
        parts = []
        for name, prefix in self._text:
            value = fields.get(name)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value if v is not None and v != "")
            if value is None or value == "":
                continue
            parts.append(f"{prefix}{value}")
        return self.mapping.embedding.separator.join(parts) or None
