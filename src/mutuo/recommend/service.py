"""``mutuo.Recommender``: recommendations and people search for an app backend in Python.

It speaks the same protocol as any backend (see :mod:`.requests`): get the viewer's
profile, run the stored template — two round trips — and then logs what was shown to
``ubi_queries`` (with each member's feature values, so training sees what serving
computed) and lets the backend record what the viewer did (``ubi_events``)::

    recommender = mutuo.Recommender(mutuo.connect())
    for r in recommender.recommend("m000042", k=10):
        print(r.rank, r.member_id, r.score)
    recommender.record("m000042", "like", "m000007", query_id=..., position=1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from opensearchpy import NotFoundError, OpenSearch

from .. import events
from ..errors import MutuoError
from ..ltr.featurelog import parse_ltr_log
from ..ltr.registry import ModelRegistry
from ..ltr.upload import model_spread, promoted_model
from .explain import explanations
from .requests import (
    PROFILES,
    RankingOptions,
    msearch_body,
    recommend_request,
    search_request,
)
from .results import Recommendation, Recommendations

Embed = Callable[[str], Sequence[float]]
LOG = "features"  # the ltr_log entry the templates write


class Recommender:
    """Recommend and search people; every list is logged for judgments and evaluation.

    ``options`` tune the ranking stages (the model, the exposure strength ...);
    ``registry`` (default ``ltr_models/``) gives explanations their feature
    contributions; ``embed`` turns a search text into its vector (default: the sync's
    sentence-transformers model, loaded on first use); ``log_queries=False`` logs nothing.
    """

    def __init__(
        self,
        client: OpenSearch,
        *,
        options: RankingOptions = RankingOptions(),
        registry: ModelRegistry | None = None,
        embed: Embed | None = None,
        log_queries: bool = True,
    ) -> None:
        self.client = client
        self.registry = registry if registry is not None else ModelRegistry()
        if options.model is not None and options.score_spread is None:
            # an experiment's model: size the marketplace stage by its own spread (the
            # template's default is the promoted model's)
            options = replace(options, score_spread=model_spread(self.registry, options.model))
        self.options = options
        self._embed = embed
        self.log_queries = log_queries
        self._names: list[str] | None = None

    # -- reading ---------------------------------------------------------------------------

    def viewer(self, viewer_id: str) -> dict[str, Any]:
        """The viewer's profile (round trip 1)."""
        try:
            doc = self.client.get(index=PROFILES, id=viewer_id)
        except NotFoundError:
            raise MutuoError(f"no member {viewer_id!r} in the {PROFILES} index") from None
        source: dict[str, Any] = doc["_source"]
        return source

    def recommend(self, viewer_id: str, k: int = 20, explain: bool = False) -> Recommendations:
        """Who ``viewer_id`` should see next, best first."""
        request = recommend_request(
            viewer_id, self.viewer(viewer_id), k, self._logs(explain), self.options
        )
        response = self.client.search_template(index=PROFILES, body=request)
        return self._finish(viewer_id, request, response, "", explain)

    def recommend_many(self, viewer_ids: Sequence[str], k: int = 20) -> list[Recommendations]:
        """Lists for several viewers in two round trips (``_mget``, ``_msearch/template``)."""
        docs = self.client.mget(index=PROFILES, body={"ids": list(viewer_ids)})["docs"]
        missing = [d["_id"] for d in docs if not d.get("found")]
        if missing:
            raise MutuoError(f"no member(s) {missing} in the {PROFILES} index")
        requests = [
            recommend_request(d["_id"], d["_source"], k, self._logs(False), self.options)
            for d in docs
        ]
        responses = self.client.msearch_template(body=msearch_body(requests))["responses"]
        out = []
        for doc, request, response in zip(docs, requests, responses, strict=True):
            if "error" in response:
                raise MutuoError(f"recommend for {doc['_id']} failed: {response['error']}")
            out.append(self._finish(doc["_id"], request, response, "", False))
        return out

    def search(
        self, text: str, viewer_id: str | None = None, k: int = 20, explain: bool = False
    ) -> Recommendations:
        """Members matching ``text`` (BM25 and semantic), ranked for the viewer when given."""
        viewer = self.viewer(viewer_id) if viewer_id is not None else None
        vector = self.embed(text) if text.strip() else None
        request = search_request(
            text,
            vector,
            viewer_id,
            viewer,
            k,
            self._logs(explain) and viewer_id is not None,
            options=self.options,
        )
        response = self.client.search_template(index=PROFILES, body=request)
        return self._finish(viewer_id, request, response, text, explain and viewer_id is not None)

    def embed(self, text: str) -> list[float]:
        if self._embed is None:
            from ..sync.embedder import Embedder

            model = Embedder()
            self._embed = lambda t: model.embed([t])[0].tolist()
        return [float(v) for v in self._embed(text)]

    # -- writing ---------------------------------------------------------------------------

    def record(
        self,
        viewer_id: str,
        action: str,
        target_id: str,
        *,
        query_id: str | None = None,
        position: int | None = None,
        timestamp: datetime | None = None,
        refresh: bool | str = False,
    ) -> None:
        """Log what ``viewer_id`` did to ``target_id`` (impression, like, pass, message,
        reply, match, block, report) to ``ubi_events``."""
        event = events.Event(viewer_id, action, target_id, query_id=query_id, position=position)
        if timestamp is not None:
            event = replace(event, timestamp=timestamp)
        events.record(self.client, [event], refresh=refresh)

    def shown(
        self,
        result: Recommendations,
        *,
        count: int | None = None,
        timestamp: datetime | None = None,
        refresh: bool | str = False,
    ) -> int:
        """Log an ``impression`` for the first ``count`` members of a list the viewer saw
        (all by default), with their positions: the lists judgments are built from."""
        if result.viewer_id is None:
            raise MutuoError("an anonymous search has no viewer to log impressions for")
        moment = timestamp or datetime.now(UTC)
        shown = [
            events.Event(
                result.viewer_id,
                "impression",
                r.member_id,
                moment,
                query_id=result.query_id,
                position=r.rank - 1,
            )
            for r in result.items[:count]
        ]
        return events.record(self.client, shown, refresh=refresh)

    # -- internals -------------------------------------------------------------------------

    def _logs(self, explain: bool) -> bool:
        return explain or self.log_queries

    def _finish(
        self,
        viewer_id: str | None,
        request: dict[str, Any],
        response: dict[str, Any],
        text: str,
        explain: bool,
    ) -> Recommendations:
        hits = response["hits"]["hits"]
        logged = request["params"].get("log_features", False)
        names = self._feature_names() if logged and hits else []
        rows = np.asarray([parse_ltr_log(h, LOG, names) for h in hits], dtype=np.float64)
        rows = rows.reshape(len(hits), len(names))
        details: list[Any] = [None] * len(hits)
        if explain and hits:
            model = self.options.model or promoted_model(self.client)
            details = explanations(self.registry, model, names, rows, [h["_score"] for h in hits])
        items = tuple(
            Recommendation(h["_id"], i + 1, float(h["_score"]), h.get("_source") or {}, details[i])
            for i, h in enumerate(hits)
        )
        features = (
            {
                h["_id"]: [None if np.isnan(v) else float(v) for v in rows[i]]
                for i, h in enumerate(hits)
            }
            if names
            else {}
        )
        query_id = events.new_query_id()
        result = Recommendations(
            query_id, viewer_id, request["id"], items, int(response.get("took", 0)), text, features
        )
        if self.log_queries and viewer_id is not None:
            self._log(result, names)
        return result

    def _log(self, result: Recommendations, names: list[str]) -> None:
        attributes: dict[str, Any] = {"template": result.template, "model": self.options.model}
        if names:
            attributes.update(
                featureset="mutuo-people", feature_names=names, features=result.features
            )
        events.log_query(
            self.client,
            str(result.viewer_id),
            result.ids(),
            query_id=result.query_id,
            user_query=result.query_text,
            attributes=attributes,
        )

    def _feature_names(self) -> list[str]:
        if self._names is None:
            from ..ltr.upload import stored_feature_names

            self._names = stored_feature_names(self.client, "mutuo-people")
        return self._names
