"""The LETOR evaluation's engine column: the LTR plugin path end to end, through opensearch-py.

For one fold, on a client (a fresh in-memory embedded engine in ``mutuo eval letor``):

1. each split is an index with one shard and one document per judged query-document pair:
   the features present on its line as ``float`` fields ``f1``..``fN`` (an absent feature id
   is left out of the document), its query id as the ``qid`` keyword, its row number in the
   file as ``_id``. Documents are indexed in file order into a fresh index;
2. the feature set ``letor`` has one feature per field: ``function_score`` with
   ``field_value_factor`` on ``fi`` and ``missing: 0``, the value the reader gives an absent
   id, so the feature is exactly the file's value for every document;
3. the features of the train and vali documents are logged with ``ltr_log`` (one search per
   query, batched in ``_msearch``) and checked against the file; training reads the logged
   values, as it would in production;
4. the trained booster is uploaded with ``_createmodel`` as ``model/xgboost+json``;
5. each test query is one search: its documents (``term`` on ``qid``) with an ``sltr``
   rescore over all of them, ``query_weight: 0`` so the model's score alone ranks; the same
   request logs the rescore's features (``rescore_index: 0``), checked against the file.

Ties. The engine orders equal scores by Lucene document order, which here is file order
(each split is indexed once, in file order, into a fresh index); the native ranking in
:mod:`.metrics` breaks ties by file order too, so both rankings break ties the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import xgboost as xgb

from ..errors import MutuoError
from ..ltr import export

if TYPE_CHECKING:
    from .letor import LetorSplit

FEATURE_SET = "letor"
LOG_NAME = "letor"
MSEARCH_BATCH = 50  # searches per _msearch request
BULK_BATCH = 1000  # documents per _bulk request
INDEX_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0}


class LetorCheckError(MutuoError):
    """The engine path disagrees with the dataset (a logged feature differs from the file)."""


class Progress(Protocol):
    """Where long steps report how far they are (a rich bar in the CLI)."""

    def stage(self, description: str, total: int) -> None: ...

    def advance(self, amount: int = 1) -> None: ...


class NoProgress:
    def stage(self, description: str, total: int) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


@dataclass(frozen=True)
class EngineRanking:
    """What the engine returned for the test queries, per test row."""

    scores: np.ndarray  # float32: the hit's _score (the model's output)
    orders: list[np.ndarray]  # per query (file order of queries): its rows in hit order


def feature_set_body(names: list[str]) -> dict[str, Any]:
    """Feature ``fi`` = the value of field ``fi`` (0 when the document has none)."""
    features = [
        {
            "name": name,
            "params": [],
            "template_language": "mustache",
            "template": {
                "function_score": {
                    "query": {"match_all": {}},
                    "field_value_factor": {"field": name, "missing": 0},
                    "boost_mode": "replace",
                }
            },
        }
        for name in names
    ]
    return {"featureset": {"name": FEATURE_SET, "features": features}}


def create_feature_set(client: Any, names: list[str]) -> None:
    client.plugins.ltr.create_default_store()
    client.plugins.ltr.create_featureset(id=FEATURE_SET, body=feature_set_body(names))


def index_split(client: Any, index: str, split: LetorSplit, progress: Progress) -> None:
    """One document per row of ``split``, in file order, then a refresh."""
    names = split.feature_names()
    properties: dict[str, Any] = {"qid": {"type": "keyword"}, "docid": {"type": "keyword"}}
    properties.update({name: {"type": "float"} for name in names})
    mapping = {"dynamic": "strict", "properties": properties}
    client.indices.create(index=index, body={"settings": INDEX_SETTINGS, "mappings": mapping})
    rows = len(split.labels)
    progress.stage(f"index {index}", rows)
    for start in range(0, rows, BULK_BATCH):
        body: list[dict[str, Any]] = []
        for row in range(start, min(start + BULK_BATCH, rows)):
            body.append({"index": {"_index": index, "_id": str(row)}})
            body.append(_document(split, names, row))
        response = client.bulk(body=body)
        if response["errors"]:
            failed = next(i for i in response["items"] if i["index"].get("error"))
            raise LetorCheckError(f"indexing {index} failed: {failed['index']['error']}")
        progress.advance(len(body) // 2)
    client.indices.refresh(index=index)


def _document(split: LetorSplit, names: list[str], row: int) -> dict[str, Any]:
    document: dict[str, Any] = {"qid": str(split.query_ids[row]), "docid": split.doc_ids[row]}
    present = split.present[row]
    values = split.features[row]
    for column, name in enumerate(names):
        if present[column]:
            document[name] = float(values[column])
    return document


def query_groups(split: LetorSplit) -> Iterator[tuple[str, np.ndarray]]:
    """(query id, its rows in file order) for each query, in order of first appearance."""
    _values, first, inverse = np.unique(split.query_ids, return_index=True, return_inverse=True)
    for group in np.argsort(first, kind="stable"):
        rows = np.flatnonzero(inverse == group)
        yield str(split.query_ids[rows[0]]), rows


def log_features(client: Any, index: str, split: LetorSplit, progress: Progress) -> np.ndarray:
    """The engine's feature values of every row, logged with ``ltr_log`` by named query."""
    groups = list(query_groups(split))
    searches = [
        {
            "size": len(rows),
            "_source": False,
            "query": {
                "bool": {
                    "filter": [
                        {"term": {"qid": qid}},
                        {"sltr": {"_name": "logged", "featureset": FEATURE_SET, "params": {}}},
                    ]
                }
            },
            "ext": {"ltr_log": {"log_specs": [{"name": LOG_NAME, "named_query": "logged"}]}},
        }
        for qid, rows in groups
    ]
    progress.stage(f"log features {index}", len(searches))
    logged = np.full(split.features.shape, np.nan, dtype=np.float32)
    for (_qid, rows), response in zip(
        groups, msearch(client, index, searches, progress), strict=True
    ):
        _read_logs(response, rows, logged)
    check_logged(logged, split, index)
    return logged


def _read_logs(response: dict[str, Any], rows: np.ndarray, out: np.ndarray) -> None:
    hits = response["hits"]["hits"]
    if sorted(int(h["_id"]) for h in hits) != sorted(int(r) for r in rows):
        raise LetorCheckError("a search for a query's documents did not return exactly them")
    for hit in hits:
        entries = hit["fields"]["_ltrlog"][0][LOG_NAME]
        out[int(hit["_id"])] = [entry.get("value", np.nan) for entry in entries]


def check_logged(logged: np.ndarray, split: LetorSplit, index: str) -> None:
    """Logged values must be the file's float32 values, bit for bit."""
    if not np.array_equal(logged, split.features):
        row, column = (int(x[0]) for x in np.nonzero(logged != split.features))
        raise LetorCheckError(
            f"{index}: feature f{column + 1} of row {row} was logged as {logged[row, column]}, "
            f"the file says {split.features[row, column]}"
        )


def upload_model(client: Any, name: str, booster: xgb.Booster) -> None:
    """``_createmodel`` from the ``letor`` feature set, as ``model/xgboost+json``."""
    model = {"type": "model/xgboost+json", "definition": export.xgboost_json_definition(booster)}
    client.plugins.ltr.create_model_from_set(
        name=FEATURE_SET, body={"model": {"name": name, "model": model}}
    )


def rank_queries(
    client: Any, index: str, split: LetorSplit, model: str, progress: Progress
) -> EngineRanking:
    """Rank each query's documents with an ``sltr`` rescore; checks the logged features."""
    groups = list(query_groups(split))
    searches = [_ranking_search(qid, len(rows), model) for qid, rows in groups]
    progress.stage(f"rank {index} with sltr", len(searches))
    scores = np.full(len(split.labels), np.nan, dtype=np.float32)
    logged = np.full(split.features.shape, np.nan, dtype=np.float32)
    orders = []
    for (_qid, rows), response in zip(
        groups, msearch(client, index, searches, progress), strict=True
    ):
        _read_logs(response, rows, logged)
        hits = response["hits"]["hits"]
        order = np.array([int(h["_id"]) for h in hits], dtype=np.int64)
        scores[order] = [h["_score"] for h in hits]
        orders.append(order)
    check_logged(logged, split, index)
    return EngineRanking(scores, orders)


def _ranking_search(qid: str, documents: int, model: str) -> dict[str, Any]:
    rescore_query = {"sltr": {"model": model, "params": {}}}
    return {
        "size": documents,
        "_source": False,
        "query": {"bool": {"filter": [{"term": {"qid": qid}}]}},
        "rescore": {
            "window_size": documents,
            "query": {
                "rescore_query": rescore_query,
                "query_weight": 0.0,
                "rescore_query_weight": 1.0,
            },
        },
        "ext": {"ltr_log": {"log_specs": [{"name": LOG_NAME, "rescore_index": 0}]}},
    }


def msearch(
    client: Any, index: str, searches: list[dict[str, Any]], progress: Progress
) -> Iterator[dict[str, Any]]:
    """Responses of ``searches`` in order, ``MSEARCH_BATCH`` per ``_msearch``; item errors raise."""
    for start in range(0, len(searches), MSEARCH_BATCH):
        batch = searches[start : start + MSEARCH_BATCH]
        body: list[dict[str, Any]] = []
        for search in batch:
            body += [{"index": index}, search]
        for response in client.msearch(body=body)["responses"]:
            if "error" in response:
                raise LetorCheckError(f"a search on {index} failed: {response['error']}")
            yield response
        progress.advance(len(batch))
