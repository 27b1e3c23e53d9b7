"""``mutuo eval replay``: a stored LTR model scored on the logged impression lists.

The lists are the product's judgments (:func:`mutuo.ltr.judgments.collect_judgments`: each
query id's shown members with their logged positions and graded labels, 3 mutual match,
2 like answered with a reply, 1 like, 0 nothing), from ``--since`` on. Only lists whose
every member has a displayed position (1-based, from ``impression`` events) can be
replayed: the estimators weigh outcomes by where they were shown. The candidate model
re-ranks each list inside the engine: one search per list with the list's members and an
``sltr`` rescore by the model alone, its params built from the viewer's profile. The
estimators are :mod:`.replay`'s (NDCG@k of the logged outcomes, position-based IPS and
SNIPS); the logging policy's own order is scored beside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
from opensearchpy import NotFoundError

from ..errors import ConfigError, MutuoError
from ..events import format_timestamp
from ..ltr.judgments import Judgment, collect_judgments
from .letor_engine import NoProgress, msearch
from .replay import LoggedList, estimate, logged_order_scores
from .speed_dating.features import viewer_params

PROFILES = "profiles"


def logged_lists(judgments: Iterable[Judgment]) -> list[LoggedList]:
    """One list per query id, members in displayed order; lists without displayed
    positions (known only from ``ubi_queries``) are left out."""
    by_query: dict[str, list[Judgment]] = {}
    for j in judgments:
        by_query.setdefault(j.query_id, []).append(j)
    lists = []
    for query_id, rows in sorted(by_query.items()):
        rows.sort(key=lambda j: j.position)
        if rows[0].position < 1:
            continue
        lists.append(
            LoggedList(
                viewer=rows[0].viewer_id,
                query_id=query_id,
                members=[j.member_id for j in rows],
                outcomes=np.array([j.label for j in rows], dtype=float),
                positions=np.array([j.position for j in rows], dtype=float),
            )
        )
    return lists


def judged_since(client: Any, since: datetime | None) -> list[Judgment]:
    return collect_judgments(client, since=format_timestamp(since) if since else None)


def model_params(client: Any, model: str) -> list[str]:
    """The params the model's feature set declares."""
    try:
        found = client.plugins.ltr.get_model(id=model)
    except NotFoundError:
        found = {}
    if not found.get("found"):
        raise ConfigError(f"no LTR model {model!r} in the default feature store")
    features = found["_source"]["model"]["feature_set"]["features"]
    return sorted({p for feature in features for p in feature.get("params") or []})


def params_for(viewer: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """A viewer's sltr params: the Speed Dating ones (profile, taste, interests) or a
    profile field of the same name."""
    known = viewer_params(viewer)
    out = {}
    for name in wanted:
        if name in known:
            out[name] = known[name]
        elif name in viewer:
            out[name] = viewer[name]
        else:
            raise ConfigError(f"the model needs param {name!r}, which no profile field gives")
    return out


def _search(members: list[str], model: str, params: dict[str, Any]) -> dict[str, Any]:
    rescore = {"sltr": {"model": model, "params": params}}
    return {
        "size": len(members),
        "_source": False,
        "query": {"bool": {"filter": [{"ids": {"values": members}}]}},
        "rescore": {
            "window_size": len(members),
            "query": {"rescore_query": rescore, "query_weight": 0.0, "rescore_query_weight": 1.0},
        },
    }


def model_scores(client: Any, model: str, lists: list[LoggedList]) -> list[np.ndarray]:
    """The model's score of every logged member (``-inf`` for a member no longer indexed,
    so it ranks last, as it could not be recommended)."""
    wanted = model_params(client, model)
    viewers = sorted({logged.viewer for logged in lists})
    docs = client.mget(index=PROFILES, body={"ids": viewers})["docs"]
    sources = {d["_id"]: d["_source"] for d in docs if d.get("found")}
    kept = [logged for logged in lists if logged.viewer in sources]
    if len(kept) != len(lists):
        raise MutuoError(f"{len(lists) - len(kept)} logged viewers have no profile any more")
    searches = [
        _search(logged.members, model, params_for(sources[logged.viewer], wanted))
        for logged in lists
    ]
    scores = []
    for logged, response in zip(
        lists, msearch(client, PROFILES, searches, NoProgress()), strict=True
    ):
        hits = {h["_id"]: float(h["_score"]) for h in response["hits"]["hits"]}
        scores.append(np.array([hits.get(m, -np.inf) for m in logged.members]))
    return scores


def replay(client: Any, model: str, since: datetime | None, k: int = 10) -> dict[str, Any]:
    lists = logged_lists(judged_since(client, since))
    if not lists:
        raise ConfigError("no logged impression lists (impressions with a query id and position)")
    return {
        "model": model,
        "since": since.isoformat() if since else None,
        "k": k,
        "candidate": estimate(lists, model_scores(client, model, lists), k),
        "logged_policy": estimate(lists, logged_order_scores(lists), k),
    }
