"""``sltr``: score documents with a stored LTR model (or the sum of a stored feature set).

``{"sltr": {"model": "m" | "featureset": "s", "store": "name", "params": {...},
"active_features": [...], "cache": bool, "boost": b, "_name": n}}``

It matches **every** live document: features that do not match a document contribute the
model's default (0, or NaN routed by the tree's ``missing`` direction for XGBoost), they
never exclude it. Scores are computed only for the documents that matter: the
``SearchContext.domain`` when one is set (a rescore window), otherwise every live
document; each feature query runs once over that set and the model scores the whole
(documents x features) matrix at once. ``boost`` scales the feature queries' scores, not
the model output. In filter context the query is a constant-score match-all, but the
model is still loaded and the features prepared, so errors surface the same way.

Loading the model and preparing the features happens while the shard builds the query in
OpenSearch, so failures (unknown model, missing params, a feature template that is not a
valid query) are ``query_shard_exception`` shard failures, reported by the executor as
``search_phase_execution_exception``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import OpenSearchError, ParsingError, QueryShardError, XContentParseError
from ..ltr.features import Prepared
from ..ltr.model import CompiledModel, featureset_model
from ..ltr.parsing import as_bool, as_float, as_str, as_str_list, check_fields, token
from ..ltr.plugin import LtrPlugin, store_index_name
from ..ltr.vectors import FeatureMatrix, compute_features
from ..search_context import SearchContext
from . import Matches, Query, register

_FIELDS = ("model", "cache", "featureset", "store", "params", "active_features", "boost", "_name")


def ltr_plugin(ctx: SearchContext) -> LtrPlugin:
    plugin: LtrPlugin = ctx.engine.extensions["ltr"]
    return plugin


def query_build_error(ctx: SearchContext, exc: OpenSearchError) -> QueryShardError:
    """How OpenSearch reports a failure while the shard turns a builder into a query."""
    if isinstance(exc, QueryShardError):
        exc.metadata.setdefault("index", ctx.index.name)
        exc.metadata.setdefault("index_uuid", ctx.index.uuid)
        return exc
    return QueryShardError(
        f"failed to create query: {exc.reason}",
        caused_by=exc,
        index=ctx.index.name,
        index_uuid=ctx.index.uuid,
    )


def window(ctx: SearchContext) -> np.ndarray:
    """The live ordinals whose scores are needed."""
    if ctx.domain is None:
        return np.flatnonzero(ctx.live)
    ordinals = np.asarray(ctx.domain, dtype=np.int64)
    return ordinals[ctx.live[ordinals]]


@register("sltr")
class StoredLtrQuery(Query):
    def __init__(self) -> None:
        self.model: str | None = None
        self.featureset: str | None = None
        self.store: str | None = None
        self.params: dict[str, Any] = {}
        self.active_features: list[str] | None = None
        self.cache = False
        self.feature_boost = 1.0  # goes to the feature queries, never to the model output

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[sltr] query malformed, no start_object after query name")
        check_fields(body, "sltr", _FIELDS)
        query = cls()
        query.model = as_str(body["model"], "sltr", "model") if "model" in body else None
        query.featureset = (
            as_str(body["featureset"], "sltr", "featureset") if "featureset" in body else None
        )
        query.store = as_str(body["store"], "sltr", "store") if "store" in body else None
        query.cache = as_bool(body["cache"], "sltr", "cache") if "cache" in body else False
        if "active_features" in body:
            query.active_features = as_str_list(body["active_features"], "sltr", "active_features")
        if "boost" in body:
            query.feature_boost = as_float(body["boost"], "sltr", "boost")
        if "_name" in body:
            query.query_name = as_str(body["_name"], "sltr", "_name")
        if query.model is None and query.featureset is None:
            raise ParsingError("Either [model] or [featureset] must be set.")
        if "params" not in body or body["params"] is None:
            raise ParsingError("Field [params] is mandatory.")
        if not isinstance(body["params"], dict):
            raise XContentParseError(
                f"[sltr] params doesn't support values of type: {token(body['params'])}"
            )
        query.params = body["params"]
        return query

    def prepare(
        self, ctx: SearchContext, count: bool = True
    ) -> tuple[CompiledModel, list[Prepared]]:
        """Load the model (or set) and build the feature queries, as the shard does.

        ``count`` feeds the plugin's request counters (the query phase counts; the fetch
        phase's logging reuses the built query in the plugin, so it does not).
        """
        plugin = ltr_plugin(ctx)
        plugin.request_total_count += int(count)
        try:
            index_name = store_index_name(self.store)
            if self.model is not None:
                model = plugin.load_model(index_name, self.model)
            else:
                assert self.featureset is not None
                model = featureset_model(plugin.load_featureset(index_name, self.featureset))
            model.feature_set.check_active(self.active_features)
            return model, model.feature_set.prepare(self.params, self.active_features)
        except OpenSearchError as exc:
            plugin.request_error_count += int(count)
            raise query_build_error(ctx, exc) from None

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        if not scoring:
            self.prepare(ctx)
            return ctx.everything(1.0)
        ordinals = window(ctx)
        scores = np.zeros(ctx.maxdoc, dtype=np.float32)
        scores[ordinals] = self.window(ctx, ordinals, True, 1.0).score_array()
        return Matches(ctx.live.copy(), scores, 0.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        """Every live ordinal matches; the model scores their feature matrix at once."""
        model, prepared = self.prepare(ctx)
        live = ctx.live[ordinals]
        if not scoring:
            return Matches(live, None, 1.0)
        rows = np.flatnonzero(live)
        rows = rows[np.argsort(ordinals[rows], kind="stable")]  # postings are read in order
        targets = ordinals[rows]
        matrix = compute_features(ctx, targets, prepared, model.missing_value, self.feature_boost)
        if self.cache:
            ctx.request_cache[("sltr_feature_scores", id(self))] = (targets, matrix)
        scores = np.zeros(len(ordinals), dtype=np.float32)
        if len(targets):
            scores[rows] = model.score(matrix.values)
        return Matches(live, scores, 0.0).boosted(boost)

    def logged_features(
        self, ctx: SearchContext, ordinals: np.ndarray
    ) -> tuple[list[str], FeatureMatrix]:
        """Raw feature values of ``ordinals`` for ``ltr_log`` (un-normalised, un-boosted).

        With ``cache: true`` the values scored in the query phase are reused, as the plugin's
        feature score cache does; otherwise the feature queries run again for these hits.
        """
        model, prepared = self.prepare(ctx, count=False)
        cached = ctx.request_cache.get(("sltr_feature_scores", id(self))) if self.cache else None
        if cached is not None:
            scored, matrix = cached
            position = {int(o): i for i, o in enumerate(scored)}
            if all(int(o) in position for o in ordinals):
                rows = [position[int(o)] for o in ordinals]
                values = matrix.values[rows]
                return model.feature_set.names, FeatureMatrix(values, matrix.matched[rows])
        return model.feature_set.names, compute_features(ctx, ordinals, prepared, 0.0)
