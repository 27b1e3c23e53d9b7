"""REST: feature stores (``/_ltr[/{store}]``), caches and the plugin's stats endpoint."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..api.indices import create_index
from ..errors import IllegalArgumentError, IndexNotFoundError
from ..info import CLUSTER_NAME, NODE_ID, NODE_NAME
from ..router import Request, Response, Router
from ..search import execute_count, execute_search
from .elements import FEATURESET, MODEL, TYPES
from .plugin import STORE_VERSION, LtrPlugin, store_display_name, store_index_name

if TYPE_CHECKING:
    from ..engine import Engine

_RESERVED_STORE_NAMES = re.compile(r"^(features?[*]?|feature_[sS]ets?|models?)$")
_INVALID_NAME_CHARS = '\\/*?"<>| ,#:'

STORE_MAPPING = {
    "dynamic": "strict",
    "properties": {
        "name": {
            "type": "text",
            "analyzer": "keyword",
            "fields": {
                "prefix": {
                    "type": "text",
                    "analyzer": "name_prefix",
                    "search_analyzer": "name_prefix_search",
                }
            },
        },
        "type": {"type": "keyword"},
        "feature": {"type": "object", "enabled": False},
        "featureset": {"type": "object", "enabled": False},
        "model": {"type": "object", "enabled": False},
    },
}
STORE_SETTINGS = {
    "index.number_of_shards": "1",
    "index.number_of_replicas": "0",  # auto_expand_replicas 0-2 on a single node
    "index.auto_expand_replicas": "0-2",
    "index.ltrstore_version": str(STORE_VERSION),
    "index.priority": str(2**31 - 1),
    "index.hidden": "true",
}
STATS = ("status", "stores", "cache", "request_total_count", "request_error_count")


def validate_store_name(store: str) -> None:
    if _RESERVED_STORE_NAMES.match(store):
        raise IllegalArgumentError(
            "A featurestore name cannot be based on the words [feature], [featureset] and [model]"
        )
    why = None
    if any(c in store for c in _INVALID_NAME_CHARS if c not in "#:"):
        why = 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]'
    elif "#" in store:
        why = "must not contain '#'"
    elif ":" in store:
        why = "must not contain ':'"
    elif store[:1] in ("_", "-", "+"):
        why = "must not start with '_', '-', or '+'"
    if why is not None:
        raise IllegalArgumentError(f"Invalid feature store name [{store}]: {why}")


def store_counts(engine: Engine, index_name: str) -> dict[str, int]:
    """Elements per type, largest first (what a ``terms`` aggregation on ``type`` returns)."""
    index = engine.indices[index_name]
    counts = {
        t: execute_count(engine, [index], {"query": {"term": {"type": t}}}, {})["count"]
        for t in TYPES
    }
    return dict(sorted(((t, c) for t, c in counts.items() if c), key=lambda p: (-p[1], p[0])))


def _nodes_header() -> dict[str, Any]:
    return {"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": CLUSTER_NAME}


def register_stores(router: Router, engine: Engine, plugin: LtrPlugin) -> None:
    def create(req: Request) -> Response:
        store = req.path_params.get("store")
        if store is not None:
            validate_store_name(store)
        name = store_index_name(store)
        create_index(engine, name, {"settings": STORE_SETTINGS, "mappings": STORE_MAPPING})
        return Response(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})

    def update(req: Request) -> Response:
        store = req.path_params.get("store")
        if store is not None:
            validate_store_name(store)
        raise IllegalArgumentError("Updating a feature store is not yet supported.")

    def delete(req: Request) -> Response:
        name = store_index_name(req.path_params.get("store"))
        index = engine.indices.get(name)
        if index is None:
            raise IndexNotFoundError(name)
        engine.delete_index(index)
        return Response(200, {"acknowledged": True})

    def exists(req: Request) -> Response:
        found = store_index_name(req.path_params["store"]) in engine.indices
        return Response(200 if found else 404, {"exists": found})

    def list_stores(_req: Request) -> Response:
        stores = {}
        for index in plugin.store_indices():
            stores[store_display_name(index.name)] = {
                "store": store_display_name(index.name),
                "index": index.name,
                "version": index.setting_int("index.ltrstore_version", STORE_VERSION),
                "counts": store_counts(engine, index.name),
            }
        return Response(200, {"stores": stores})

    router.add("PUT", "/_ltr", create)
    router.add("PUT", "/_ltr/{store}", create)
    router.add("POST", "/_ltr", update)
    router.add("POST", "/_ltr/{store}", update)
    router.add("DELETE", "/_ltr", delete)
    router.add("DELETE", "/_ltr/{store}", delete)
    router.add("GET", "/_ltr", list_stores)
    router.add("GET", "/_ltr/{store}", exists)


def register_caches(router: Router, engine: Engine, plugin: LtrPlugin) -> None:
    def clear(req: Request) -> Response:
        plugin.caches.evict_store(store_index_name(req.path_params.get("store")))
        return Response(200, {"acknowledged": True})

    def cache_stats(_req: Request) -> Response:
        caches = plugin.caches
        return Response(
            200,
            {
                **_nodes_header(),
                "all": caches.store_details(None),
                "stores": {s: caches.store_details(s) for s in caches.stores()},
                "nodes": {
                    NODE_ID: {
                        "name": NODE_NAME,
                        "hostname": "localhost",
                        "stats": caches.store_details(None),
                    }
                },
            },
        )

    router.add("POST", "/_ltr/_clearcache", clear)
    router.add("POST", "/_ltr/{store}/_clearcache", clear)
    router.add("GET", "/_ltr/_cachestats", cache_stats)


def register_stats(router: Router, engine: Engine, plugin: LtrPlugin) -> None:
    def stats(req: Request) -> Response:
        wanted = _requested_stats(req)
        cluster: dict[str, Any] = {}
        if "status" in wanted:
            cluster["status"] = "green"
        if "stores" in wanted:
            cluster["stores"] = {
                i.name: _store_stats(engine, i.name) for i in plugin.store_indices()
            }
        node: dict[str, Any] = {}
        if "cache" in wanted:
            node["cache"] = plugin.caches.node_stats()
        if "request_total_count" in wanted:
            node["request_total_count"] = plugin.request_total_count
        if "request_error_count" in wanted:
            node["request_error_count"] = plugin.request_error_count
        nodes = {NODE_ID: node} if _node_selected(req.path_params.get("nodeId")) else {}
        return Response(200, {**_nodes_header(), **cluster, "nodes": nodes})

    for base in ("/_plugins/_ltr", "/_opendistro/_ltr"):
        router.add("GET", f"{base}/stats", stats)
        router.add("GET", f"{base}/stats/{{stat}}", stats)
        router.add("GET", f"{base}/{{nodeId}}/stats", stats)
        router.add("GET", f"{base}/{{nodeId}}/stats/{{stat}}", stats)


def _requested_stats(req: Request) -> set[str]:
    raw = req.path_params.get("stat")
    requested = [s for s in (raw or "").split(",") if s]
    if not requested or requested == ["_all"]:
        return set(STATS)
    if "_all" in requested:
        raise IllegalArgumentError(f"Request {req.path} contains both _all and individual stats")
    invalid = sorted(s for s in requested if s not in STATS)
    if invalid:
        plural = "s" if len(invalid) > 1 else ""
        raise IllegalArgumentError(
            f"request [{req.path}] contains unrecognized stat{plural}: [{', '.join(invalid)}]"
        )
    return set(requested)


def _node_selected(node_filter: str | None) -> bool:
    if node_filter is None:
        return True
    wanted = {n.strip() for n in node_filter.split(",")}
    return bool(wanted & {"_all", "_local", NODE_ID, NODE_NAME})


def _store_stats(engine: Engine, index_name: str) -> dict[str, Any]:
    """Per store: its health, feature sets, their features (summed) and models."""
    index = engine.indices[index_name]
    body = {"query": {"term": {"type": FEATURESET}}, "size": 10_000}
    hits = execute_search(engine, [index], body, {})["hits"]["hits"]
    sizes = [len(h["_source"][FEATURESET].get("features") or []) for h in hits]
    models = execute_count(engine, [index], {"query": {"term": {"type": MODEL}}}, {})["count"]
    return {
        "status": "green" if index.setting_int("index.number_of_replicas", 0) == 0 else "yellow",
        "feature_count": sum(sizes),
        "featureset_count": len(sizes),
        "model_count": models,
    }
