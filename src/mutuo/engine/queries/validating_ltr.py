"""``validating_ltr_query``: an element that is not stored yet, run as a query (validation).

``{"validating_ltr_query": {"feature" | "featureset" | "model": {...}, "validation":
{"index": i, "params": {...}}}}`` is what the plugin searches when a write carries a
``validation`` block: a feature runs as its own query (a derived feature, which needs
other features, as ``match_all``), a feature set as a zero-weight linear model, a model as
itself. Like the plugin's validation search (``terminate_after: 1000``), only the first
1,000 live documents are scored and collected.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import OpenSearchError, ParsingError
from ..ltr.elements import (
    PARSERS,
    TYPES,
    Element,
    StoredFeature,
    StoredFeatureSet,
    Validation,
    parse_validation,
)
from ..ltr.features import CompiledFeatureSet, DerivedFeature, compile_feature, compile_featureset
from ..ltr.model import CompiledModel, compile_model
from ..ltr.parsing import check_fields
from ..ltr.rankers import LinearRanker
from ..ltr.vectors import compute_features
from ..search_context import SearchContext
from . import Matches, Query, register
from .sltr import ltr_plugin, query_build_error

TERMINATE_AFTER = 1000


@register("validating_ltr_query")
class ValidatingLtrQuery(Query):
    def __init__(self, element: Element, validation: Validation) -> None:
        self.element = element
        self.validation = validation

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[validating_ltr_query] malformed query")
        check_fields(body, "validating_ltr_query", (*TYPES, "validation", "boost", "_name"))
        elements = [PARSERS[k](body[k], None) for k in body if k in TYPES]
        if len(elements) > 1:
            raise ParsingError(
                f"[{elements[1].type}] already set, only one element can be set at a time "
                "(feature,featureset,model)."
            )
        if not elements:
            raise ParsingError("Element of type [feature,featureset,model] is mandatory.")
        if "validation" not in body:
            raise ParsingError("Expected field [validation]")
        query = cls(elements[0], parse_validation(body["validation"]))
        if "_name" in body:
            query.query_name = str(body["_name"])
        return query

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        params = self.validation.params
        plugin = ltr_plugin(ctx)
        plugin.request_total_count += 1
        try:
            if isinstance(self.element, StoredFeature):
                return self._feature(ctx, self.element, params, scoring)
            if isinstance(self.element, StoredFeatureSet):
                feature_set = compile_featureset(self.element)
                zeros = LinearRanker(np.zeros(feature_set.size, dtype=np.float32))
                model = CompiledModel("validation", feature_set, zeros)
            else:
                model = compile_model(self.element)
            prepared = model.feature_set.prepare(params)
        except OpenSearchError as exc:
            plugin.request_error_count += 1
            raise query_build_error(ctx, exc) from None
        ordinals = np.flatnonzero(ctx.live)[:TERMINATE_AFTER]
        matrix = compute_features(ctx, ordinals, prepared, model.missing_value)
        scores = np.zeros(ctx.maxdoc, dtype=np.float32)
        if len(ordinals):
            scores[ordinals] = model.score(matrix.values)
        return Matches(ctx.mask_of(ordinals), scores, 0.0)

    def _feature(
        self, ctx: SearchContext, stored: StoredFeature, params: dict[str, Any], scoring: bool
    ) -> Matches:
        feature = compile_feature(stored)
        if isinstance(feature, DerivedFeature):
            return ctx.everything(1.0)  # derived features cannot be tested alone
        query = feature.prepare(params, CompiledFeatureSet(stored.name, [feature]))
        return query.run(ctx, scoring)
