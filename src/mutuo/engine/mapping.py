"""Index mappings: explicit definitions, dynamic mapping, merging, and parsing documents.

A :class:`Mapping` keeps the definition exactly as ``GET _mapping`` shows it and the
derived table of concrete fields (``path -> FieldMapper``, multi-fields included).
:meth:`Mapping.parse_document` flattens a ``_source`` into ``path -> [values]`` and, when
dynamic mapping adds fields, updates the definition (the caller persists it with the
write, as OpenSearch publishes the mapping update before acknowledging).
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
from dataclasses import dataclass, field
from typing import Any

from . import geo
from .dynamic_mapping import dynamic_definition
from .errors import IllegalArgumentError, MapperParsingError, StrictDynamicMappingError
from .fields import GEO_POINT, VECTOR, FieldMapper

_ROOT_KEYS = {
    "properties",
    "dynamic",
    "_source",
    "_meta",
    "_routing",
    "dynamic_templates",
    "date_detection",
    "numeric_detection",
    "dynamic_date_formats",
    "enabled",
    "_field_names",
}
_SCALARS = (str, int, float, bool)
# kinds whose values are not one scalar each (an array is one vector or one point), or
# that cannot be written at all: always the general path
_SPECIAL_KINDS = (VECTOR, GEO_POINT, "alias")
_OBJECT_KEYS = {"type", "properties", "dynamic", "enabled"}
# kinds whose indexed entries of a document can be copied from one ordinal to another
# (Column.copy_batch; a text column keeps each document's tokens for it)
_COPYABLE_KINDS = ("keyword", "text", "number", "date", "boolean", GEO_POINT, VECTOR)
_VERSIONS = itertools.count(1)  # every definition a process builds gets its own number
_UNKNOWN: Any = object()  # (not in a cache)


@dataclass(slots=True)
class ParsedDocument:
    """``path -> values`` of one document, ready for the columns."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    mapping_changed: bool = False
    mapping_version: int = 0  # the :attr:`Mapping.version` the values were parsed under

    def add(self, path: str, value: Any) -> None:
        bucket = self.values.get(path)
        if bucket is None:
            self.values[path] = [value]
        else:
            bucket.append(value)


class Mapping:
    def __init__(self, definition: dict[str, Any] | None = None) -> None:
        self.definition: dict[str, Any] = {}
        self.fields: dict[str, FieldMapper] = {}
        self.objects: dict[str, dict[str, Any]] = {"": {}}
        self._copy_sources: list[FieldMapper] = []
        self.version = next(_VERSIONS)
        self._members: dict[str, tuple[str, ...] | None] = {}
        if definition:
            self.merge(definition)

    # -- definition ------------------------------------------------------------------

    def merge(self, update: dict[str, Any], from_template: bool = False) -> None:
        """Apply a put-mapping body: new fields are added, existing ones must not conflict.

        ``from_template`` layers index-template mappings at index creation, where a later
        field definition replaces an earlier one instead of conflicting (objects still
        merge field by field), as OpenSearch's ``INDEX_TEMPLATE`` merge does.
        """
        update = _expand_dots(copy.deepcopy(update))
        for key in update:
            if key not in _ROOT_KEYS:
                raise MapperParsingError(
                    f"Root mapping definition has unsupported parameters:  [{key} : {update[key]}]"
                )
        merged = copy.deepcopy(self.definition)
        for key, value in update.items():
            if key == "properties":
                merged["properties"] = _merge_properties(
                    merged.get("properties", {}), value, "", from_template
                )
            else:
                merged[key] = value
        self._rebuild(merged)

    def restore(self, definition: dict[str, Any]) -> None:
        """Return to an earlier definition (undo the dynamic fields of a failed document)."""
        self._rebuild(definition)

    def _rebuild(self, definition: dict[str, Any]) -> None:
        fields: dict[str, FieldMapper] = {}
        objects: dict[str, dict[str, Any]] = {
            "": {k: v for k, v in definition.items() if k != "properties"}
        }
        _collect(definition.get("properties", {}), "", fields, objects)
        self.definition = definition
        self.fields = fields
        self.objects = objects
        self._copy_sources = [m for m in fields.values() if m.copy_to]
        self.version = next(_VERSIONS)
        self._members = {}

    def render(self) -> dict[str, Any]:
        """The mapping as ``GET _mapping`` prints it (properties sorted by name)."""
        return _sorted_props(self.definition)

    def resolve(self, name: str) -> FieldMapper | None:
        mapper = self.fields.get(name)
        if mapper is not None and mapper.kind == "alias":
            return self.fields.get(mapper.params["path"])
        return mapper

    def matching_fields(self, pattern: str) -> list[str]:
        """Concrete field paths matching a (possibly wildcard) name, in sorted order."""
        if "*" not in pattern:
            return [pattern] if pattern in self.fields else []
        return sorted(p for p in self.fields if fnmatch.fnmatchcase(p, pattern))

    @property
    def routing_required(self) -> bool:
        return bool(self.definition.get("_routing", {}).get("required", False))

    @property
    def source_enabled(self) -> bool:
        return bool(self.definition.get("_source", {}).get("enabled", True))

    def member_fields(self, key: str) -> tuple[str, ...] | None:
        """The concrete fields a top-level ``_source`` member alone fills, when all of
        them can be copied from one ordinal to another in their columns; None when it
        cannot be reused that way (aliases, unmapped or dotted keys, and any mapping with
        ``copy_to``, whose targets gather values from several members)."""
        found = self._members.get(key, _UNKNOWN)
        if found is not _UNKNOWN:
            return found
        paths: tuple[str, ...] | None = None
        if not self._copy_sources and key and "." not in key:
            mapper = self.fields.get(key)
            if mapper is not None or key in self.objects:
                prefix = key + "."
                owned = [m for p, m in self.fields.items() if p == key or p.startswith(prefix)]
                if all(m.kind in _COPYABLE_KINDS for m in owned):
                    paths = tuple(m.path for m in owned)
        self._members[key] = paths
        return paths

    # -- documents -------------------------------------------------------------------

    def parse_document(self, source: dict[str, Any], doc_id: str | None) -> ParsedDocument:
        doc = ParsedDocument()
        self._parse_object(source, "", doc, doc_id)
        # copy_to targets receive the raw values of their sources
        for mapper in self._copy_sources:
            if mapper.path not in doc.values:
                continue
            for target in mapper.copy_to:
                target_mapper = self.fields.get(target)
                if target_mapper is None:
                    raise MapperParsingError(
                        f"Cannot copy to field [{target}] since it is mapped as an object or is not defined"
                    )
                for value in doc.values[mapper.path]:
                    converted = self._convert(target_mapper, value, doc_id)
                    if converted is not None:
                        doc.add(target, converted)
        doc.mapping_version = self.version
        return doc

    def _parse_object(
        self, obj: dict[str, Any], prefix: str, doc: ParsedDocument, doc_id: str | None
    ) -> None:
        fields = self.fields
        for key, value in obj.items():
            path = f"{prefix}.{key}" if prefix else key
            mapper = fields.get(path)
            # fast path: a mapped scalar, or a list of scalars, of a plain field (most
            # fields of most documents)
            if mapper is not None and mapper.kind not in _SPECIAL_KINDS:
                if type(value) in _SCALARS:
                    self._add_scalar(mapper, value, doc, doc_id)
                    continue
                if type(value) is list and all(type(item) in _SCALARS for item in value):
                    for item in value:
                        self._add_scalar(mapper, item, doc, doc_id)
                    continue
            if key == "":
                raise MapperParsingError("field name cannot be an empty string")
            if "." in key and not key.startswith(".") and not key.endswith(".") and mapper is None:
                head, rest = key.split(".", 1)
                self._parse_value({rest: value}, _join(prefix, head), doc, doc_id)
                continue
            self._parse_value(value, path, doc, doc_id)

    def _add_scalar(
        self, mapper: FieldMapper, value: Any, doc: ParsedDocument, doc_id: str | None
    ) -> None:
        """Index one scalar into a field and its multi-fields (the end of
        :meth:`_index_field`, which the fast path of :meth:`_parse_object` enters directly:
        a plain scalar needs none of the checks objects and arrays do)."""
        converted = self._convert(mapper, value, doc_id)
        if converted is None:
            return
        doc.add(mapper.path, converted)
        for sub_path in mapper.sub_fields:
            sub_value = self._convert(self.fields[sub_path], value, doc_id)
            if sub_value is not None:
                doc.add(sub_path, sub_value)

    def _parse_value(
        self,
        value: Any,
        path: str,
        doc: ParsedDocument,
        doc_id: str | None,
    ) -> None:
        if path in self.objects:
            if not self.objects[path].get("enabled", True):
                return
            if isinstance(value, dict):
                self._parse_object(value, path, doc, doc_id)
            elif isinstance(value, list):
                for item in value:
                    self._parse_value(item, path, doc, doc_id)
            elif value is not None:
                raise MapperParsingError(
                    f"object mapping for [{path}] tried to parse field [{path.rsplit('.', 1)[-1]}] "
                    "as object, but found a concrete value"
                )
            return
        mapper = self.fields.get(path)
        if mapper is None:
            if value is None or value == []:
                return
            if not self._add_dynamic(path, value, doc):
                return
            mapper = self.fields.get(path)
            if mapper is None:  # became an object
                self._parse_value(value, path, doc, doc_id)
                return
        self._index_field(mapper, value, doc, doc_id)

    def _index_field(
        self, mapper: FieldMapper, value: Any, doc: ParsedDocument, doc_id: str | None
    ) -> None:
        if mapper.kind == "alias":
            raise MapperParsingError(f"Cannot write to a field alias [{mapper.path}].")
        if isinstance(value, dict) and mapper.kind != GEO_POINT:
            raise MapperParsingError(
                f"failed to parse field [{mapper.path}] of type [{mapper.type}] in document with id "
                f"'{doc_id}'. Preview of field's value: '{value}'",
                caused_by=IllegalArgumentError("Can't get text on a START_OBJECT"),
            )
        if isinstance(value, list) and not (
            mapper.kind == VECTOR or (mapper.kind == GEO_POINT and geo.is_single_point_array(value))
        ):
            for item in value:
                self._index_field(mapper, item, doc, doc_id)
            return
        self._add_scalar(mapper, value, doc, doc_id)

    def _convert(self, mapper: FieldMapper, value: Any, doc_id: str | None) -> Any:
        try:
            return mapper.convert(value)
        except (ValueError, geo.GeoParseError) as exc:
            raise MapperParsingError(
                f"failed to parse field [{mapper.path}] of type [{mapper.type}] in document with "
                f"id '{doc_id}'. Preview of field's value: '{_preview(value)}'",
                caused_by=IllegalArgumentError(str(exc)),
            ) from None

    # -- dynamic mapping -------------------------------------------------------------

    def _dynamic_setting(self, path: str) -> str:
        parts = path.split(".")[:-1]
        while True:
            obj = self.objects.get(".".join(parts))
            if obj is not None and "dynamic" in obj:
                return str(obj["dynamic"]).lower()
            if not parts:
                return "true"
            parts.pop()

    def _add_dynamic(self, path: str, value: Any, doc: ParsedDocument) -> bool:
        setting = self._dynamic_setting(path)
        if setting == "false":
            return False
        if setting == "strict":
            parent = path.rsplit(".", 1)[0] if "." in path else "_doc"
            raise StrictDynamicMappingError(
                f"mapping set to strict, dynamic introduction of [{path.rsplit('.', 1)[-1]}] within [{parent}] is not allowed"
            )
        definition = dynamic_definition(self.objects[""], path, value)
        if definition is None:
            return False
        # parents are mapped already (documents are walked level by level), so the update
        # is the new leaf wrapped in one ``properties`` level per path segment
        parts = path.split(".")
        update: dict[str, Any] = {parts[-1]: definition}
        for part in reversed(parts[:-1]):
            update = {part: {"properties": update}}
        merged = _merge_properties(self.definition.get("properties", {}), update, "")
        self._rebuild({**self.definition, "properties": merged})
        doc.mapping_changed = True
        return True


# -- helpers -----------------------------------------------------------------------------


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _preview(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:100] + "..."


def _expand_dots(definition: dict[str, Any]) -> dict[str, Any]:
    """``{"properties": {"a.b": {...}}}`` -> nested objects, as OpenSearch expands them."""
    props = definition.get("properties")
    if isinstance(props, dict):
        expanded: dict[str, Any] = {}
        for name, spec in props.items():
            if not isinstance(spec, dict):
                raise MapperParsingError(
                    f"Expected map for property [fields] on field [{name}] but got a {type(spec).__name__}"
                )
            spec = _expand_dots(spec)
            parts = name.split(".")
            if len(parts) > 1 and all(parts):
                node: dict[str, Any] = spec
                for part in reversed(parts[1:]):
                    node = {"properties": {part: node}}
                expanded[parts[0]] = _merge_node(expanded.get(parts[0]), node, parts[0])
            else:
                expanded[name] = _merge_node(expanded.get(name), spec, name)
        definition["properties"] = expanded
    return definition


def _merge_node(existing: dict[str, Any] | None, new: dict[str, Any], path: str) -> dict[str, Any]:
    if existing is None:
        return new
    return _merge_properties({path: existing}, {path: new}, "")[path]


def _is_object(spec: dict[str, Any]) -> bool:
    return "properties" in spec or spec.get("type") in (None, "object")


def _merge_properties(
    old: dict[str, Any], new: dict[str, Any], prefix: str, replace: bool = False
) -> dict[str, Any]:
    merged = dict(old)
    for name, spec in new.items():
        path = _join(prefix, name)
        if name not in merged:
            merged[name] = spec
            continue
        current = merged[name]
        if _is_object(current) and _is_object(spec):
            node = {**current, **{k: v for k, v in spec.items() if k != "properties"}}
            node["properties"] = _merge_properties(
                current.get("properties", {}), spec.get("properties", {}), path, replace
            )
            if not node["properties"] and "properties" not in current and "properties" not in spec:
                node.pop("properties")
            merged[name] = node
            continue
        if replace:
            merged[name] = spec
            continue
        old_type = current.get("type", "object")
        new_type = spec.get("type", "object")
        if old_type != new_type:
            raise IllegalArgumentError(
                f"mapper [{path}] cannot be changed from type [{old_type}] to [{new_type}]"
            )
        node = dict(current)
        for key, value in spec.items():
            if key == "fields":
                node["fields"] = _merge_properties(current.get("fields", {}), value, path)
            elif (
                key in current
                and current[key] != value
                and key not in ("ignore_above", "meta", "copy_to", "search_analyzer", "boost")
            ):
                raise IllegalArgumentError(
                    f"Mapper for [{path}] conflicts with existing mapper:\n\tCannot update "
                    f"parameter [{key}] from [{current[key]}] to [{value}]"
                )
            else:
                node[key] = value
        merged[name] = node
    return merged


def _collect(
    props: dict[str, Any],
    prefix: str,
    fields: dict[str, FieldMapper],
    objects: dict[str, dict[str, Any]],
) -> None:
    for name, spec in props.items():
        path = _join(prefix, name)
        if not isinstance(spec, dict):
            raise MapperParsingError(f"Expected map for property [{name}] but got [{spec}]")
        ftype = spec.get("type")
        if ftype in (None, "object"):
            for key in spec:
                if key not in _OBJECT_KEYS:
                    raise MapperParsingError(
                        f"Mapping definition for [{name}] has unsupported parameters:  [{key} : {spec[key]}]"
                    )
            objects[path] = {k: v for k, v in spec.items() if k != "properties"}
            _collect(spec.get("properties", {}), path, fields, objects)
            continue
        if ftype == "nested":
            raise MapperParsingError(
                f"field type [nested] (field [{path}]) is not supported by the embedded engine"
            )
        params = {k: v for k, v in spec.items() if k != "type"}
        fields[path] = FieldMapper(path, ftype, params)
        for sub_name, sub_spec in (spec.get("fields") or {}).items():
            sub_params = {k: v for k, v in sub_spec.items() if k != "type"}
            if "type" not in sub_spec:
                raise MapperParsingError(f"No type specified for field [{sub_name}]")
            fields[f"{path}.{sub_name}"] = FieldMapper(
                f"{path}.{sub_name}", sub_spec["type"], sub_params
            )


def _sorted_props(node: Any) -> Any:
    """Render a definition as OpenSearch prints it: properties sorted by name, an object
    node typed ``object`` only when it has no properties, ``dynamic`` as a string."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "fields") and isinstance(value, dict):
            out[key] = {k: _render_child(value[k]) for k in sorted(value)}
        elif key == "dynamic":
            out[key] = str(value).lower()
        else:
            out[key] = value
    return out


def _render_child(spec: Any) -> Any:
    if not isinstance(spec, dict) or not _is_object(spec):
        return _sorted_props(spec)
    rendered = {k: v for k, v in _sorted_props(spec).items() if k != "type"}
    if not rendered.get("properties"):
        rendered.pop("properties", None)
        rendered = {"type": "object", **rendered}
    return rendered
