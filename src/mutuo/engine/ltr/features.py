"""Compiled features and feature sets: stored elements made ready to become queries.

Compiling a feature checks its template once (mustache syntax, expression grammar); it
happens when an element is stored (the plugin's pre-check) and when a set or model is
loaded into the cache. *Preparing* a feature turns it into what runs for one search: the
mustache template rendered with the ``sltr`` params and parsed as a query, or the derived
expression bound to its numeric params.

Preparing is the costly part of a small window (rendering, JSON, parsing): a template
feature keeps the queries it parsed for its last few distinct inputs, keyed by the values
of the params its template can read. A template without params is parsed once; a feature
on the viewer's text or vector is parsed again only for a new viewer. Parsed queries are
immutable, so sharing one between searches changes nothing they compute.

A vector param rendered with ``{{#toJson}}v{{/toJson}}`` is most of a knn feature's
rendering and parsing (hundreds of floats printed and read back). When the template reads
such a param only there, at its top level, the template is rendered with a one-string
marker list in its place and the parsed marker is replaced by a copy of the param
(:func:`.shapes.render_around_vectors`): the same query, as printing finite floats and integers as JSON and parsing them back gives
the same numbers.

Template languages: ``mustache`` (default) and ``derived_expression``. ``script_feature``
and script languages run Painless in OpenSearch, which the embedded engine cannot execute:
they are refused with an error when the element is stored, never approximated.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from .. import codec, mustache
from ..errors import IllegalArgumentError, OpenSearchError, QueryShardError
from ..queries import Query, parse_query
from .elements import StoredFeature, StoredFeatureSet
from .expressions import Expression, compile_expression
from .shapes import compile_shape, json_only_params, render_around_vectors


@dataclass
class DerivedInputs:
    """A derived feature ready to evaluate: its expression and where each variable comes from."""

    expression: Expression
    params: dict[str, float]  # numeric sltr params used as variables
    ordinals: dict[str, int]  # variables that are features of the set


Prepared = Query | DerivedInputs | None  # None: an inactive feature (never matches)

# Distinct param values whose parsed query a template feature keeps (least recently used
# goes first): repeated requests of one viewer (pages, refreshes) reuse their queries.
PREPARED_PER_FEATURE = 16


def _check_params(name: str, declared: list[str], params: dict[str, Any] | None) -> None:
    missing = [p for p in declared if params is None or p not in params]
    if missing:
        raise IllegalArgumentError(f"Missing required param(s): [{','.join(missing)}]")


class TemplateFeature:
    """A ``mustache`` feature: the rendered template is the feature's query."""

    def __init__(self, stored: StoredFeature) -> None:
        self.name = stored.name
        self.params = list(stored.params)
        self.text = stored.template_text
        try:
            self.tree = mustache.parse(self.text)
        except mustache.MustacheError as exc:
            cause = exc.caused_by or exc
            raise IllegalArgumentError(cause.reason, caused_by=cause) from None
        self.reads = sorted(mustache.referenced_names(self.tree))
        self.vectors = json_only_params(self.tree)
        self.shape = compile_shape(self.tree, set(self.vectors)) if self.reads else None
        self.prepared: OrderedDict[bytes, Query] = OrderedDict()

    def validate(self, feature_set: CompiledFeatureSet) -> None:
        """Templates are only checked when rendered."""

    def prepare(
        self,
        params: dict[str, Any],
        feature_set: CompiledFeatureSet,
        keys: ParamKeys | None = None,
    ) -> Query:
        _check_params(self.name, self.params, params)
        key = (keys or ParamKeys(params)).key(self.reads)
        query = self.prepared.get(key) if key is not None else None
        if query is not None:
            self.prepared.move_to_end(key)  # type: ignore[arg-type]
            return query
        try:
            query = parse_query(self._body(params))
        except OpenSearchError as exc:
            raise QueryShardError(
                f"Cannot create query while parsing feature [{self.name}]", caused_by=exc
            ) from None
        if key is not None:
            self.prepared[key] = query
            if len(self.prepared) > PREPARED_PER_FEATURE:
                self.prepared.popitem(last=False)
        return query

    def _body(self, params: dict[str, Any]) -> Any:
        """The rendered template, parsed: from its shape when it has one
        (:mod:`.shapes`), else with vector params around the text (module doc)."""
        body = self.shape.fill(params) if self.shape is not None else None
        return body if body is not None else self.rendered_body(params)

    def rendered_body(self, params: dict[str, Any]) -> Any:
        """The template rendered with ``params`` and parsed as JSON."""
        body = render_around_vectors(self.tree, params, self.vectors)
        return body if body is not None else codec.loads(mustache.render(self.tree, params))

    def ram_bytes(self) -> int:
        return (
            96 + 2 * len(self.name) + sum(40 + 2 * len(p) for p in self.params) + 4 * len(self.text)
        )


class ParamKeys:
    """The cache key of the param values a template reads (absent and null differ), each
    param serialised once per request: a viewer with three 384-float vectors is read by a
    dozen templates of one feature set."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self._parts: dict[str, bytes | None] = {}

    def key(self, names: list[str]) -> bytes | None:
        """The key of ``names``' values; None: do not cache (a value JSON cannot hold)."""
        parts = []
        for name in names:
            if name not in self._parts:
                try:
                    self._parts[name] = orjson.dumps([name in self.params, self.params.get(name)])
                except TypeError:  # e.g. an integer beyond 64 bits: rare enough to parse
                    self._parts[name] = None
            part = self._parts[name]
            if part is None:
                return None
            parts.append(part)
        return b"[" + b",".join(parts) + b"]"


class DerivedFeature:
    """A ``derived_expression`` feature: arithmetic over earlier features and numeric params."""

    def __init__(self, stored: StoredFeature) -> None:
        self.name = stored.name
        self.params = list(stored.params)
        self.expression = compile_expression(stored.template_text)

    def validate(self, feature_set: CompiledFeatureSet) -> None:
        for var in self.expression.variables:
            is_feature = feature_set.has_feature(var)
            if not is_feature and var not in self.params:
                raise IllegalArgumentError(
                    f"Derived feature [{self.name}] refers to unknown feature or parameter: [{var}]"
                )
            if is_feature and var in self.params:
                raise IllegalArgumentError(
                    f"Duplicate name {var} . Cannot be used as both feature name and query "
                    "parameter name"
                )

    def prepare(self, params: dict[str, Any], feature_set: CompiledFeatureSet) -> DerivedInputs:
        _check_params(self.name, self.params, params)
        values: dict[str, float] = {}
        ordinals: dict[str, int] = {}
        for var in self.expression.variables:
            if var in self.params:
                value = params[var]
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise IllegalArgumentError(f"parameter: {var} expected to be of type Double")
                values[var] = float(value)
            else:
                ordinals[var] = feature_set.ordinal(var)
        return DerivedInputs(self.expression, values, ordinals)

    def ram_bytes(self) -> int:
        return 96 + 2 * len(self.name) + 4 * len(self.expression.source)


CompiledFeature = TemplateFeature | DerivedFeature


def compile_feature(stored: StoredFeature) -> CompiledFeature:
    language = stored.template_language
    if language == "mustache":
        return TemplateFeature(stored)
    if language == "derived_expression":
        return DerivedFeature(stored)
    if language == "script_feature":
        raise IllegalArgumentError(
            f"Feature [{stored.name}] uses template_language [script_feature], which runs a "
            "Painless script: the embedded engine cannot execute scripts. Express it as a "
            "mustache query template or a derived_expression."
        )
    raise IllegalArgumentError(
        f"Feature [{stored.name}] uses template_language [{language}], a script language the "
        "embedded engine cannot execute; use [mustache] or [derived_expression]."
    )


class CompiledFeatureSet:
    """Features in ordinal order (the order of the stored ``features`` array)."""

    def __init__(self, name: str, features: list[CompiledFeature]) -> None:
        self._name = name
        self.features = features
        self._ordinals = {f.name: i for i, f in enumerate(features)}

    @property
    def name(self) -> str:
        return self._name

    @property
    def size(self) -> int:
        return len(self.features)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.features]

    def has_feature(self, name: str) -> bool:
        return name in self._ordinals

    def ordinal(self, name: str) -> int:
        ordinal = self._ordinals.get(name)
        if ordinal is None:
            raise IllegalArgumentError(f"Unknown feature [{name}]")
        return ordinal

    def validate(self) -> None:
        for feature in self.features:
            feature.validate(self)

    def check_active(self, active: list[str] | None) -> None:
        for name in active or []:
            if not self.has_feature(name):
                raise IllegalArgumentError(
                    f"Feature: [{name}] provided in active_features does not exist"
                )

    def prepare(self, params: dict[str, Any], active: list[str] | None = None) -> list[Prepared]:
        """One prepared entry per feature; features outside a non-empty ``active`` are None."""
        wanted = set(active) if active else None
        keys = ParamKeys(params)
        out: list[Prepared] = []
        for f in self.features:
            if wanted is not None and f.name not in wanted:
                out.append(None)
            elif isinstance(f, TemplateFeature):
                out.append(f.prepare(params, self, keys))
            else:
                out.append(f.prepare(params, self))
        return out

    def ram_bytes(self) -> int:
        return 64 + 8 * len(self._ordinals) + sum(f.ram_bytes() for f in self.features)


def compile_featureset(stored: StoredFeatureSet) -> CompiledFeatureSet:
    return CompiledFeatureSet(stored.name, [compile_feature(f) for f in stored.features])
