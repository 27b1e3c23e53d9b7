"""``sync/*.yaml``: how a source document becomes an index document.

A sync mapping names the source collection, the target index (an alias managed by
``index_templates/``), which index field comes from which source path, the derived fields
(computed by functions in :mod:`.derive`), the text that is embedded, and the status
rules (which statuses are visible, which remove the member from the index). Parsing
reports every problem with the file and a JSON pointer, like the rest of
``mutuo validate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..artifacts.model import Problem, pointer, read_file
from ..errors import ArtifactError
from .derive import FUNCTIONS

WRITE_MODES = ("merge", "external")
_TOP_KEYS = {"name", "source", "target", "fields", "derived", "embedding", "status", "description"}


@dataclass(frozen=True)
class FieldRule:
    """Index field ``target`` takes the value at dotted ``source`` path (or ``default``)."""

    target: str
    source: str
    default: Any = None


@dataclass(frozen=True)
class DerivedRule:
    target: str
    function: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class TextPart:
    field: str  # an index field of the mapped document
    prefix: str = ""


@dataclass(frozen=True)
class EmbeddingSpec:
    field: str
    hash_field: str
    dimension: int
    text: tuple[TextPart, ...]
    separator: str = "\n"


@dataclass(frozen=True)
class StatusRules:
    field: str
    visible: tuple[str, ...]
    delete: tuple[str, ...]


@dataclass(frozen=True)
class SyncMapping:
    name: str
    path: str
    collection: str
    index: str
    dead_letter_index: str
    write_mode: str
    version_field: str
    synced_at_field: str | None
    fields: tuple[FieldRule, ...]
    derived: tuple[DerivedRule, ...]
    embedding: EmbeddingSpec | None
    status: StatusRules | None

    def owned_fields(self) -> list[str]:
        """Index fields the sync writes (a merge never touches the others)."""
        out = [r.target for r in self.fields] + [d.target for d in self.derived]
        out.append(self.version_field)
        if self.synced_at_field:
            out.append(self.synced_at_field)
        if self.embedding:
            out += [self.embedding.field, self.embedding.hash_field]
        return out


class _Reader:
    """Collects problems while reading a nested YAML structure."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def fail(self, where: tuple[str | int, ...], message: str) -> None:
        self.problems.append(Problem(self.path, pointer(*where), message))

    def obj(
        self, value: Any, where: tuple[str | int, ...], required: bool = True
    ) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(where, "must be a mapping")
            return {}
        return value

    def text(
        self,
        node: dict[str, Any],
        key: str,
        where: tuple[str | int, ...],
        default: str | None = None,
    ) -> str:
        value = node.get(key, default)
        if not isinstance(value, str) or not value:
            self.fail(
                (*where, key), "must be a non-empty string" + ("" if key in node else " (missing)")
            )
            return ""
        return value

    def strings(
        self, node: dict[str, Any], key: str, where: tuple[str | int, ...]
    ) -> tuple[str, ...]:
        value = node.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail((*where, key), "must be a list of strings")
            return ()
        return tuple(value)


def parse_mapping(
    body: Any, path: str, default_name: str
) -> tuple[SyncMapping | None, list[Problem]]:
    """Read one sync mapping; ``None`` with problems when it is unusable."""
    r = _Reader(path)
    top = r.obj(body, ())
    for key in top:
        if key not in _TOP_KEYS:
            r.fail((key,), f"unknown key; expected one of {sorted(_TOP_KEYS)}")
    source = r.obj(top.get("source"), ("source",))
    target = r.obj(top.get("target"), ("target",))
    write_mode = target.get("write", "merge")
    if write_mode not in WRITE_MODES:
        r.fail(("target", "write"), f"must be one of {list(WRITE_MODES)}, got {write_mode!r}")
    mapping = SyncMapping(
        name=str(top.get("name", default_name)),
        path=path,
        collection=r.text(source, "collection", ("source",)),
        index=r.text(target, "index", ("target",)),
        dead_letter_index=r.text(target, "dead_letter_index", ("target",), "mutuo-deadletter"),
        write_mode=str(write_mode),
        version_field=r.text(target, "version_field", ("target",), "source_version"),
        synced_at_field=target.get("synced_at_field", "synced_at"),
        fields=_fields(r, top.get("fields")),
        derived=_derived(r, top.get("derived")),
        embedding=_embedding(r, top.get("embedding")),
        status=_status(r, top.get("status")),
    )
    _check_targets(r, mapping)
    return (None if r.problems else mapping), r.problems


def _fields(r: _Reader, node: Any) -> tuple[FieldRule, ...]:
    out = []
    for target, spec in r.obj(node, ("fields",)).items():
        if isinstance(spec, str):
            out.append(FieldRule(target, spec))
        elif isinstance(spec, dict) and isinstance(spec.get("from"), str):
            unknown = set(spec) - {"from", "default"}
            if unknown:
                r.fail(
                    ("fields", target), f"unknown keys {sorted(unknown)}; expected from, default"
                )
            out.append(FieldRule(target, spec["from"], spec.get("default")))
        else:
            r.fail(("fields", target), "must be a source path or {from: PATH, default: VALUE}")
    return tuple(out)


def _derived(r: _Reader, node: Any) -> tuple[DerivedRule, ...]:
    out = []
    for target, spec in r.obj(node, ("derived",), required=False).items():
        where = ("derived", target)
        spec = r.obj(spec, where)
        function = spec.get("function")
        if function not in FUNCTIONS:
            r.fail(
                (*where, "function"), f"unknown function {function!r}; known: {sorted(FUNCTIONS)}"
            )
            continue
        sources = spec.get("from")
        sources = [sources] if isinstance(sources, str) else sources
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            r.fail((*where, "from"), "must be a source path or a list of paths")
            continue
        arity = FUNCTIONS[function].arity
        if (arity is None and not sources) or (arity is not None and len(sources) != arity):
            wanted = "one or more" if arity is None else str(arity)
            r.fail(
                (*where, "from"), f"{function} takes {wanted} source path(s), got {len(sources)}"
            )
            continue
        out.append(DerivedRule(target, str(function), tuple(sources)))
    return tuple(out)


def _embedding(r: _Reader, node: Any) -> EmbeddingSpec | None:
    if node is None:
        return None
    spec = r.obj(node, ("embedding",))
    parts = []
    for i, item in enumerate(spec.get("text") or []):
        if isinstance(item, str):
            parts.append(TextPart(item))
        elif isinstance(item, dict) and isinstance(item.get("field"), str):
            parts.append(TextPart(item["field"], str(item.get("prefix", ""))))
        else:
            r.fail(("embedding", "text", i), "must be a field name or {field: NAME, prefix: TEXT}")
    if not parts:
        r.fail(("embedding", "text"), "must list at least one field to embed")
    dimension = spec.get("dimension")
    if not isinstance(dimension, int) or isinstance(dimension, bool) or dimension <= 0:
        r.fail(("embedding", "dimension"), "must be a positive integer (the model's output size)")
        dimension = 0
    return EmbeddingSpec(
        field=r.text(spec, "field", ("embedding",)),
        hash_field=r.text(spec, "hash_field", ("embedding",), "profile_text_hash"),
        dimension=dimension,
        text=tuple(parts),
        separator=str(spec.get("separator", "\n")),
    )


def _status(r: _Reader, node: Any) -> StatusRules | None:
    if node is None:
        return None
    spec = r.obj(node, ("status",))
    rules = StatusRules(
        field=r.text(spec, "field", ("status",)),
        visible=r.strings(spec, "visible", ("status",)),
        delete=r.strings(spec, "delete", ("status",)),
    )
    overlap = set(rules.visible) & set(rules.delete)
    if overlap:
        r.fail(
            ("status", "delete"), f"statuses {sorted(overlap)} cannot be both visible and deleted"
        )
    return rules


def _check_targets(r: _Reader, m: SyncMapping) -> None:
    seen: dict[str, tuple[str, ...]] = {}
    for rule in m.fields:
        seen.setdefault(rule.target, ("fields", rule.target))
    for d in m.derived:
        if d.target in seen:
            r.fail(("derived", d.target), f"field {d.target!r} is also mapped under /fields")
        seen.setdefault(d.target, ("derived", d.target))
    reserved = {m.version_field, m.synced_at_field}
    if m.embedding:
        reserved |= {m.embedding.field, m.embedding.hash_field}
        for i, part in enumerate(m.embedding.text):
            if part.field not in seen:
                r.fail(
                    ("embedding", "text", i),
                    f"{part.field!r} is not a field of this mapping (/fields or /derived)",
                )
    for name in sorted(n for n in reserved if n in seen):
        r.fail(seen[name], f"{name!r} is written by the sync itself and cannot be mapped")
    if m.status and m.status.field not in seen:
        r.fail(("status", "field"), f"{m.status.field!r} is not a field of this mapping")


def load_mapping(path: str | Path) -> SyncMapping:
    """Load one sync mapping file, raising :class:`ArtifactError` on the first problem."""
    file = Path(path)
    body, problem = read_file(file.parent, file)
    if problem is not None:
        raise ArtifactError(str(file), problem.pointer, problem.message)
    mapping, problems = parse_mapping(body, str(file), file.stem)
    if mapping is None:
        first = problems[0]
        raise ArtifactError(str(file), first.pointer, first.message)
    return mapping
