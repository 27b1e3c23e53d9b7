"""Feature vectors for judgments, computed by the engine that serves (``ltr_log``).

Two sources, both the engine's own feature queries:

* **logged at serving**: :class:`mutuo.Recommender` asks for ``ltr_log`` in every
  request and stores each shown member's raw feature values with the query in
  ``ubi_queries`` (``query_attributes.features``). These are the values the model saw,
  at the moment it saw them (recency, counters, vectors as they were).
* **re-logged**: lists logged by another backend, without features, are re-computed with an
  ``sltr`` query on the feature set and ``ext.ltr_log`` over exactly the shown members,
  with the viewer's profile as it is now (a point-in-time caveat the card reports).

A feature that did not match a member is missing (NaN), as the LTR plugin hands it to tree
models.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from ..events import QUERIES_INDEX
from .judgments import Judgment
from .registry import FEATURESET
from .upload import stored_feature_names

PROFILES = "profiles"
BATCH = 50
Embed = Callable[[str], Sequence[float]]


@dataclass
class TrainingSet:
    """Judgments with their feature rows (NaN: the feature did not match)."""

    judgments: list[Judgment]
    feature_names: list[str]
    features: np.ndarray
    sources: dict[str, int] = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w") as handle:
            handle.write(json.dumps({"feature_names": self.feature_names, "sources": self.sources}))
            handle.write("\n")
            for judgment, row in zip(self.judgments, self.features, strict=True):
                values = [None if np.isnan(v) else float(v) for v in row]
                handle.write(json.dumps({**asdict(judgment), "features": values}) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> TrainingSet:
        lines = Path(path).read_text().splitlines()
        head = json.loads(lines[0])
        judgments, rows = [], []
        for line in lines[1:]:
            record = json.loads(line)
            rows.append([np.nan if v is None else v for v in record.pop("features")])
            judgments.append(Judgment(**record))
        names = head["feature_names"]
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(names))
        return cls(judgments, names, matrix, head.get("sources", {}))


def parse_ltr_log(hit: dict[str, Any], log: str, names: Sequence[str]) -> list[float]:
    """One hit's logged features (``fields._ltrlog``) in ``names`` order, NaN = missing."""
    entries = ((hit.get("fields") or {}).get("_ltrlog") or [{}])[0].get(log) or []
    values = {e["name"]: e.get("value") for e in entries}
    return [float("nan") if values.get(n) is None else float(values[n]) for n in names]


def sltr_params(
    viewer: dict[str, Any], text: str = "", vector: Sequence[float] = ()
) -> dict[str, Any]:
    """The feature set's params, exactly as the recommend and search templates pass them."""
    return {"viewer": viewer, "query_text": text, "query_vector": [float(v) for v in vector]}


def _served(
    client: OpenSearch, query_ids: list[str], names: list[str]
) -> dict[str, dict[str, list[float | None]]]:
    """query id -> member -> features logged at serving (only when the layout matches)."""
    out: dict[str, dict[str, list[float | None]]] = {}
    for start in range(0, len(query_ids), 500):
        ids = query_ids[start : start + 500]
        docs = client.mget(index=QUERIES_INDEX, body={"ids": ids})["docs"]
        for doc in docs:
            attributes = (doc.get("_source") or {}).get("query_attributes") or {}
            if attributes.get("feature_names") == names and attributes.get("features"):
                out[doc["_id"]] = attributes["features"]
    return out


def _relog_body(members: list[str], params: dict[str, Any], featureset: str) -> dict[str, Any]:
    sltr = {"sltr": {"_name": "logged", "featureset": featureset, "params": params}}
    return {
        "size": len(members),
        "_source": False,
        "query": {"bool": {"filter": [{"ids": {"values": members}}, sltr]}},
        "ext": {"ltr_log": {"log_specs": [{"name": "features", "named_query": "logged"}]}},
    }


def _relog(
    client: OpenSearch,
    groups: dict[str, list[Judgment]],
    names: list[str],
    featureset: str,
    embed: Embed | None,
) -> dict[str, dict[str, list[float]]]:
    viewers = sorted({g[0].viewer_id for g in groups.values()})
    profiles: dict[str, dict[str, Any]] = {}
    for start in range(0, len(viewers), 500):
        docs = client.mget(index=PROFILES, body={"ids": viewers[start : start + 500]})["docs"]
        profiles.update({d["_id"]: d["_source"] for d in docs if d.get("found")})
    out: dict[str, dict[str, list[float]]] = {}
    pending = [(q, g) for q, g in groups.items() if g[0].viewer_id in profiles]
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        lines: list[dict[str, Any]] = []
        for _query_id, rows in batch:
            text = rows[0].user_query
            vector = embed(text) if text and embed is not None else ()
            params = sltr_params(profiles[rows[0].viewer_id], text, vector)
            lines += [
                {"index": PROFILES},
                _relog_body([r.member_id for r in rows], params, featureset),
            ]
        responses = client.msearch(body=lines)["responses"]
        for (query_id, _rows), response in zip(batch, responses, strict=True):
            if "error" in response:
                raise RuntimeError(
                    f"feature logging failed for query {query_id}: {response['error']}"
                )
            out[query_id] = {
                h["_id"]: parse_ltr_log(h, "features", names) for h in response["hits"]["hits"]
            }
    return out


def log_features(
    client: OpenSearch,
    judgments: Sequence[Judgment],
    featureset: str = FEATURESET,
    embed: Embed | None = None,
) -> TrainingSet:
    """Feature rows for ``judgments``; rows whose member or viewer is gone are dropped."""
    names = stored_feature_names(client, featureset)
    groups: dict[str, list[Judgment]] = defaultdict(list)
    for judgment in judgments:
        groups[judgment.query_id].append(judgment)
    served = _served(client, list(groups), names)
    relogged = _relog(
        client, {q: g for q, g in groups.items() if q not in served}, names, featureset, embed
    )
    kept, rows, sources = [], [], {"served": 0, "relogged": 0}
    for judgment in judgments:
        if judgment.query_id in served:
            values = served[judgment.query_id].get(judgment.member_id)
            kind = "served"
        else:
            values = relogged.get(judgment.query_id, {}).get(judgment.member_id)  # type: ignore[assignment]
            kind = "relogged"
        if values is None:
            continue
        kept.append(judgment)
        rows.append([np.nan if v is None else v for v in values])
        sources[kind] += 1
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(names))
    return TrainingSet(kept, names, matrix, sources)
