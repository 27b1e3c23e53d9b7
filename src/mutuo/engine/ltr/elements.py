"""The three storable elements (feature, feature set, model) as the plugin reads and writes them.

An element is stored in its store index as ``{"name", "type", "<type>": element}`` under
the id ``<type>-<name>``. What is stored is the element re-serialised in the plugin's
canonical form (a feature always carries ``params`` and ``template_language``; a model
always carries ``feature_normalizers``), while templates and model definitions keep the
JSON structure they were sent with (object or string).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import IllegalArgumentError, OpenSearchError, ParsingError, XContentParseError
from .parsing import as_float, as_str, as_str_list, check_fields, check_object, token

FEATURE, FEATURESET, MODEL = "feature", "featureset", "model"
TYPES = (FEATURE, FEATURESET, MODEL)
MAX_FEATURES = 10_000


def element_id(element_type: str, name: str) -> str:
    return f"{element_type}-{name}"


def _resolve_name(body_name: str | None, url_name: str | None) -> str:
    if body_name is None and url_name is not None:
        return url_name
    if body_name is None:
        raise ParsingError("Field [name] is mandatory")
    if url_name is not None and body_name != url_name:
        raise ParsingError(f"Invalid [name], expected [{url_name}] but got [{body_name}]")
    return body_name


@dataclass
class StoredFeature:
    name: str
    params: list[str]
    template_language: str
    template: Any  # a JSON object (dict) or a string

    type = FEATURE
    updatable = True

    def to_source(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "params": list(self.params),
            "template_language": self.template_language,
            "template": self.template,
        }

    @property
    def template_text(self) -> str:
        """The template as the plugin compiles it: objects become compact JSON text."""
        if isinstance(self.template, str):
            return self.template
        return json.dumps(self.template, separators=(",", ":"), ensure_ascii=False)


@dataclass
class StoredFeatureSet:
    name: str
    features: list[StoredFeature]

    type = FEATURESET
    updatable = True

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for feature in self.features:
            if feature.name in seen:
                raise IllegalArgumentError(
                    f"Feature [{feature.name}] defined twice in this set: feature names must "
                    "be unique in a set."
                )
            seen.add(feature.name)

    def to_source(self) -> dict[str, Any]:
        return {"name": self.name, "features": [f.to_source() for f in self.features]}

    def append(self, features: list[StoredFeature]) -> StoredFeatureSet:
        """A new set with ``features`` added after the existing ones."""
        if len(self.features) + len(features) > MAX_FEATURES:
            raise IllegalArgumentError("The resulting feature set would be too large")
        return StoredFeatureSet(self.name, [*self.features, *features])

    def merge(self, features: list[StoredFeature]) -> StoredFeatureSet:
        """Same-name features are replaced in place (ordinal kept); new ones are appended."""
        merged = list(self.features)
        position = {f.name: i for i, f in enumerate(merged)}
        added = sum(1 for f in features if f.name not in position)
        if len(merged) + added > MAX_FEATURES:
            raise IllegalArgumentError("The resulting feature set would be too large")
        for feature in features:
            if feature.name in position:
                merged[position[feature.name]] = feature
            else:
                merged.append(feature)
        return StoredFeatureSet(self.name, merged)


@dataclass
class Normalizer:
    """One ``feature_normalizers`` entry: ``standard`` (mean, std) or ``min_max`` (min, max)."""

    feature: str
    kind: str
    first: float  # mean | minimum (float32 values)
    second: float  # standard_deviation | maximum

    def to_source(self) -> dict[str, Any]:
        if self.kind == "standard":
            body = {"mean": np.float32(self.first), "standard_deviation": np.float32(self.second)}
        else:
            body = {"minimum": np.float32(self.first), "maximum": np.float32(self.second)}
        return {self.kind: body}


@dataclass
class StoredModel:
    name: str
    feature_set: StoredFeatureSet
    model_type: str
    definition: Any  # a string, or the JSON object/array it was sent as
    normalizers: list[Normalizer] = field(default_factory=list)

    type = MODEL
    updatable = False

    @property
    def definition_text(self) -> str:
        if isinstance(self.definition, str):
            return self.definition
        return json.dumps(self.definition, separators=(",", ":"), ensure_ascii=False)

    def to_source(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "feature_set": self.feature_set.to_source(),
            "model": {
                "type": self.model_type,
                "definition": self.definition,
                "feature_normalizers": {n.feature: n.to_source() for n in self.normalizers},
            },
        }


Element = StoredFeature | StoredFeatureSet | StoredModel


# -- parsing ----------------------------------------------------------------------------


def parse_feature(value: Any, url_name: str | None = None) -> StoredFeature:
    obj = check_object(value, FEATURE)
    check_fields(obj, FEATURE, ("name", "params", "template_language", "template"))
    name = as_str(obj["name"], FEATURE, "name") if "name" in obj else None
    params = as_str_list(obj["params"], FEATURE, "params") if obj.get("params") is not None else []
    language = (
        as_str(obj["template_language"], FEATURE, "template_language")
        if "template_language" in obj
        else "mustache"
    )
    resolved = _resolve_name(name, url_name)
    template = obj.get("template")
    if template is None:
        raise ParsingError("Field [template] is mandatory")
    if not isinstance(template, dict | str):
        raise XContentParseError(
            f"[{FEATURE}] template doesn't support values of type: {token(template)}"
        )
    return StoredFeature(resolved, params, language, template)


def parse_featureset(value: Any, url_name: str | None = None) -> StoredFeatureSet:
    obj = check_object(value, FEATURESET)
    check_fields(obj, FEATURESET, ("name", "features"))
    name = as_str(obj["name"], FEATURESET, "name") if "name" in obj else None
    raw_features = obj.get("features") or []
    if not isinstance(raw_features, list):
        raw_features = [raw_features]
    features = [parse_feature(f) for f in raw_features]
    try:
        return StoredFeatureSet(_resolve_name(name, url_name), features)
    except IllegalArgumentError as exc:
        raise ParsingError(exc.reason, caused_by=exc) from None


def parse_model(value: Any, url_name: str | None = None) -> StoredModel:
    obj = check_object(value, MODEL)
    check_fields(obj, MODEL, ("name", "feature_set", "model"))
    name = as_str(obj["name"], MODEL, "name") if "name" in obj else None
    feature_set = parse_featureset(obj["feature_set"]) if "feature_set" in obj else None
    definition = parse_model_definition(obj["model"]) if "model" in obj else None
    resolved = _resolve_name(name, url_name)
    if feature_set is None:
        raise ParsingError("Field [feature_set] is mandatory")
    if definition is None:
        raise ParsingError("Field [model] is mandatory")
    model_type, text, normalizers = definition
    return StoredModel(resolved, feature_set, model_type, text, normalizers)


def parse_model_definition(value: Any) -> tuple[str, Any, list[Normalizer]]:
    """``{"type", "definition", "feature_normalizers"}`` of a model (or of ``_createmodel``)."""
    obj = check_object(value, "model")
    check_fields(obj, "model", ("type", "definition", "feature_normalizers"))
    model_type = as_str(obj["type"], "model", "type") if "type" in obj else None
    normalizers = _parse_normalizers(obj.get("feature_normalizers") or {})
    if model_type is None:
        raise ParsingError("Field [model.type] is mandatory")
    definition = obj.get("definition")
    if definition is None:
        raise ParsingError("Field [model.definition] is mandatory")
    if not isinstance(definition, str | dict | list):
        raise XContentParseError(
            f"[model] definition doesn't support values of type: {token(definition)}"
        )
    return model_type, definition, normalizers


def _parse_normalizers(value: Any) -> list[Normalizer]:
    obj = check_object(value, "feature_normalizers")
    out = []
    for feature, spec in obj.items():
        spec = check_object(spec, "feature_normalizers")
        check_fields(spec, "feature_normalizers", ("standard", "min_max"))
        if len(spec) > 1:
            raise IllegalArgumentError("Multiple feature normalizers detected ")
        for kind, params in spec.items():
            out.append(_normalizer(feature, kind, check_object(params, kind)))
    return out


def _normalizer(feature: str, kind: str, params: dict[str, Any]) -> Normalizer:
    if kind == "standard":
        check_fields(params, kind, ("mean", "standard_deviation"))
        mean = float(np.float32(as_float(params.get("mean", 0.0), kind, "mean")))
        std = 0.0
        if "standard_deviation" in params:
            std = float(
                np.float32(as_float(params["standard_deviation"], kind, "standard_deviation"))
            )
            if std <= 0.0:
                raise XContentParseError(
                    "[standard] failed to parse field [standard_deviation]",
                    caused_by=OpenSearchError(
                        f"Standard Deviation Must Be Positive.  You passed: {std}", status=400
                    ),
                )
        return Normalizer(feature, kind, mean, std)
    check_fields(params, kind, ("minimum", "maximum"))
    minimum, maximum = 0.0, float(np.finfo(np.float32).max)
    for key, raw in params.items():  # checked in declaration order, as the plugin's setters do
        number = float(np.float32(as_float(raw, kind, key)))
        if key == "minimum":
            if number >= maximum:
                raise IllegalArgumentError(f"Minimum {number} must be smaller than than maximum")
            if number < 0:
                raise IllegalArgumentError(f"Minimum {number} must be positive")
            minimum = number
        else:
            if number <= minimum:
                raise IllegalArgumentError(f"Maximum {number} must be larger than minimum")
            if number < 0:
                raise IllegalArgumentError(f"Maximum {number} must be positive")
            maximum = number
    return Normalizer(feature, kind, minimum, maximum)


ElementParser = Callable[[Any, str | None], Element]
PARSERS: dict[str, ElementParser] = {
    FEATURE: parse_feature,
    FEATURESET: parse_featureset,
    MODEL: parse_model,
}


@dataclass
class Validation:
    """The ``validation`` block: run the element as a query on ``index`` with ``params``."""

    index: str
    params: dict[str, Any]


def parse_validation(value: Any) -> Validation:
    obj = check_object(value, "feature_validation")
    check_fields(obj, "feature_validation", ("index", "params"))
    missing = [k for k in ("index", "params") if obj.get(k) is None]
    if missing:
        raise IllegalArgumentError(f"Required [{', '.join(missing)}]")
    return Validation(
        as_str(obj["index"], "feature_validation", "index"),
        check_object(obj["params"], "feature_validation"),
    )


def parse_element_body(
    body: dict[str, Any], url_name: str | None
) -> tuple[Element, Validation | None]:
    """A create/update request body: exactly one element, plus an optional ``validation``."""
    check_fields(body, "storable_elements", (*TYPES, "validation"))
    element: Element | None = None
    for key in (k for k in body if k in TYPES):
        if element is not None:
            raise IllegalArgumentError(
                f"[{key}] already set, only one element can be set at a time "
                "(feature,featureset,model)."
            )
        element = PARSERS[key](body[key], url_name)
    if element is None:
        raise ParsingError("Element of type [feature,featureset,model] is mandatory.")
    validation = parse_validation(body["validation"]) if "validation" in body else None
    return element, validation


def element_from_source(source: dict[str, Any], element_type: str) -> Element:
    """Read an element back from its stored document."""
    if element_type not in source:
        raise IllegalArgumentError(
            f"Expected an element of type [{element_type}] but got [{source.get('type')}]."
        )
    return PARSERS[element_type](source[element_type], None)
