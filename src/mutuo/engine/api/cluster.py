"""Cluster-level endpoints: ``GET /``, ``_cluster/health``, ``_cat/indices``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import IllegalArgumentError
from ..info import CLUSTER_NAME, NODE_NAME, VERSION
from ..router import Request, Response, Router

if TYPE_CHECKING:
    from ..engine import Engine


_HEALTH_ORDER = {"green": 0, "yellow": 1, "red": 2}
_CAT_INDICES_COLUMNS = (
    "health",
    "status",
    "index",
    "uuid",
    "pri",
    "rep",
    "docs.count",
    "docs.deleted",
    "store.size",
    "pri.store.size",
)


def register(router: Router, engine: Engine) -> None:
    def root(_req: Request) -> Response:
        return Response(
            200,
            {
                "name": NODE_NAME,
                "cluster_name": CLUSTER_NAME,
                "cluster_uuid": "embedded-cluster",
                "version": {
                    "distribution": "opensearch",
                    "number": VERSION,
                    "build_type": "embedded",
                    "lucene_version": "10.2.0",
                    "minimum_wire_compatibility_version": "2.19.0",
                    "minimum_index_compatibility_version": "2.0.0",
                },
                "tagline": "The OpenSearch Project: https://opensearch.org/",
            },
        )

    def health(req: Request) -> Response:
        indices = engine.resolve(req.path_params.get("index"), expand_wildcards="all")
        # a single node cannot place replicas: indices with replicas are yellow, as in OpenSearch
        unassigned = sum(i.replicas for i in indices)
        status = "yellow" if unassigned else "green"
        wanted = req.params.get("wait_for_status")
        if wanted is not None and wanted not in _HEALTH_ORDER:
            raise IllegalArgumentError(f"unknown cluster health status [{wanted}]")
        # nothing changes health on one node but index settings, so waiting cannot help:
        # answer at once, timed out, as OpenSearch answers when its wait expires
        timed_out = wanted is not None and _HEALTH_ORDER[status] > _HEALTH_ORDER[wanted]
        body = {
            "cluster_name": CLUSTER_NAME,
            "status": status,
            "timed_out": timed_out,
            "number_of_nodes": 1,
            "number_of_data_nodes": 1,
            "discovered_master": True,
            "discovered_cluster_manager": True,
            "active_primary_shards": len(indices),
            "active_shards": len(indices),
            "relocating_shards": 0,
            "initializing_shards": 0,
            "unassigned_shards": unassigned,
            "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0 * len(indices) / (len(indices) + unassigned)
            if unassigned
            else 100.0,
        }
        return Response(408 if timed_out else 200, body)

    def cat_indices(req: Request) -> Response:
        rows: list[dict[str, Any]] = []
        expression = req.path_params.get("index")
        for index in sorted(
            engine.resolve(expression, expand_wildcards="all" if expression else "open"),
            key=lambda i: i.name,
        ):
            replicas = index.replicas
            rows.append(
                {
                    "health": "yellow" if replicas else "green",
                    "status": "open",
                    "index": index.name,
                    "uuid": index.uuid,
                    "pri": index.settings.get("index.number_of_shards", "1"),
                    "rep": str(replicas),
                    "docs.count": str(index.shard.num_docs),
                    "docs.deleted": str(index.shard.num_deleted),
                    "store.size": "-",
                    "pri.store.size": "-",
                }
            )
        columns = list(_CAT_INDICES_COLUMNS)
        wanted = req.params.get("h")
        if wanted:
            columns = [c.strip() for c in wanted.split(",")]
            unknown = [c for c in columns if c not in _CAT_INDICES_COLUMNS]
            if unknown:
                raise IllegalArgumentError(f"header [{unknown[0]}] not found")
        if req.params.get("format") == "json":
            return Response(200, [{c: row[c] for c in columns} for row in rows])
        lines = []
        if req.flag("v"):
            lines.append(" ".join(columns))
        for row in rows:
            lines.append(" ".join(str(row.get(c, "")) for c in columns))
        text = "\n".join(lines) + ("\n" if lines else "")
        return Response(200, text.encode(), {"content-type": "text/plain; charset=UTF-8"})

    router.add("GET", "/", root)
    router.add("GET", "/_cluster/health", health)
    router.add("GET", "/_cluster/health/{index}", health)
    router.add("GET", "/_cat/indices", cat_indices)
    router.add("GET", "/_cat/indices/{index}", cat_indices)
