"""``mutuo eval replay``: a stored LTR model scored on the logged impression lists.

The lists come from ``ubi_events``: the impressions of one query id, in their logged
positions, each graded by what followed (2 for a mutual match, 1 for the viewer's like,
0 otherwise, as the LTR judgments grade them). Only events the signals worker has applied
(stamped with ``signals_seq``) are read, in that order, so the replay sees what training
saw. The candidate model re-ranks each list inside the engine: one search per list with
the list's members and an ``sltr`` rescore by the model alone, its params built from the
viewer's profile. The estimators are :mod:`.replay`'s (NDCG@k of the logged outcomes,
position-based IPS and SNIPS); the logging policy's own order is scored beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from opensearchpy import NotFoundError

from ..errors import ConfigError, MutuoError
from ..events import EVENTS_INDEX, format_timestamp
from .letor_engine import NoProgress, msearch
from .replay import LoggedList, estimate, logged_order_scores
from .speed_dating.features import viewer_params

PROFILES = "profiles"
PAGE = 5000
GRADES = {"match": 2, "like": 1}


def read_applied_events(client: Any, since: datetime | None) -> list[dict[str, Any]]:
    """Events stamped by the signals worker (at or after ``since``), in ``signals_seq`` order."""
    query: dict[str, Any] = {"bool": {"filter": [{"exists": {"field": "signals_seq"}}]}}
    if since is not None:
        query["bool"]["filter"].append({"range": {"timestamp": {"gte": format_timestamp(since)}}})
    events: list[dict[str, Any]] = []
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"size": PAGE, "query": query, "sort": [{"signals_seq": "asc"}]}
        if after is not None:
            body["search_after"] = after
        hits = client.search(index=EVENTS_INDEX, body=body)["hits"]["hits"]
        events += [hit["_source"] for hit in hits]
        if len(hits) < PAGE:
            return events
        after = hits[-1]["sort"]


def logged_lists(events: list[dict[str, Any]]) -> list[LoggedList]:
    """One list per query id with impressions; members graded by their best outcome."""
    shown: dict[str, tuple[str, dict[str, int]]] = {}
    grade: dict[tuple[str, str], int] = {}
    for event in events:
        viewer, action = event["client_id"], event["action_name"]
        attributes = event.get("event_attributes") or {}
        target = attributes["object"]["object_id"]
        if action == "impression" and event.get("query_id"):
            position = (attributes.get("position") or {}).get("ordinal")
            if position:
                members = shown.setdefault(event["query_id"], (viewer, {}))[1]
                members.setdefault(target, int(position))
        elif action in GRADES:
            pairs = [(viewer, target)] + ([(target, viewer)] if action == "match" else [])
            for pair in pairs:
                grade[pair] = max(grade.get(pair, 0), GRADES[action])
    lists = []
    for query_id, (viewer, members) in sorted(shown.items()):
        ordered = sorted(members, key=lambda m: members[m])
        lists.append(
            LoggedList(
                viewer=viewer,
                query_id=query_id,
                members=ordered,
                outcomes=np.array([grade.get((viewer, m), 0) for m in ordered], dtype=float),
                positions=np.array([members[m] for m in ordered], dtype=float),
            )
        )
    return lists


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
    lists = logged_lists(read_applied_events(client, since))
    if not lists:
        raise ConfigError("no logged impression lists (impressions with a query id and position)")
    return {
        "model": model,
        "since": since.isoformat() if since else None,
        "k": k,
        "candidate": estimate(lists, model_scores(client, model, lists), k),
        "logged_policy": estimate(lists, logged_order_scores(lists), k),
    }
