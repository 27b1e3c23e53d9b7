"""Apply a sync mapping to one change: the index fields, the text to embed, the status.

Pure and deterministic (derived values depend only on the document and the change's
source time), so a replayed change maps to exactly the same index document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .changes import Change, json_safe
from .config import SyncMapping
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


_MISSING = object()


def get_path(document: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or ``_MISSING``."""
    if "." not in path:
        return document.get(path, _MISSING) if isinstance(document, dict) else _MISSING
    node: Any = document
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


class Mapper:
    def __init__(self, mapping: SyncMapping) -> None:
        self.mapping = mapping

    def map(self, change: Change) -> MappedDoc:
        """Raise :class:`MappingError` when the document cannot be indexed."""
        if change.is_delete:
            return MappedDoc(
                change.doc_id, change.version, True, {}, None, False, change.source_time
            )
        if not isinstance(change.document, dict):
            raise MappingError(f"{change.op} without a document object")
        document = json_safe(change.document)
        fields = self._fields(document)
        fields.update(self._derived(document, change.source_time))
        status = self.mapping.status
        visible = True
        if status is not None:
            value = fields.get(status.field)
            if value is not None and not isinstance(value, str):
                raise MappingError(f"status {value!r} is not a string")
            if value in status.delete:
                return MappedDoc(
                    change.doc_id, change.version, True, {}, None, False, change.source_time
                )
            visible = value in status.visible
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

    def _fields(self, document: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for rule in self.mapping.fields:
            value = get_path(document, rule.source)
            out[rule.target] = rule.default if value is _MISSING or value is None else value
        return out

    def _derived(self, document: dict[str, Any], source_time: float) -> dict[str, Any]:
        ctx = DeriveContext(datetime.fromtimestamp(source_time, tz=UTC))
        out: dict[str, Any] = {}
        for rule in self.mapping.derived:
            values = [get_path(document, s) for s in rule.sources]
            values = [None if v is _MISSING else v for v in values]
            try:
                out[rule.target] = FUNCTIONS[rule.function].apply(values, ctx)
            except MappingError as exc:
                raise MappingError(f"derived field {rule.target!r}: {exc}") from None
        return out

    def text(self, fields: dict[str, Any]) -> str | None:
        """The embedded text: the configured fields in order, lists joined by commas."""
        spec = self.mapping.embedding
        if spec is None:
            return None
        parts = []
        for part in spec.text:
            value = fields.get(part.field)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value if v is not None and v != "")
            if value is None or value == "":
                continue
            parts.append(f"{part.prefix}{value}")
        return spec.separator.join(parts) or None
