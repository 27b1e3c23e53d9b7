"""Single-document APIs: index, create, get, exists, ``_source``, mget, delete, update."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import codec
from ..documents import WriteBatch, check_pipeline, parse_source
from ..errors import (
    ActionRequestValidationError,
    IllegalArgumentError,
    IndexNotFoundError,
    OpenSearchError,
)
from ..index import PRIMARY_TERM, Index
from ..router import Request, Response, Router
from ..source_filter import filter_source, from_params, parse_spec
from .bulk import register_bulk
from .write_options import alias_routing, apply_refresh, refresh_policy, versioning_from

if TYPE_CHECKING:
    from ..engine import Engine


def single_index(engine: Engine, name: str) -> Index:
    """The one concrete index a single-document read addresses."""
    if name in engine.indices:
        return engine.indices[name]
    targets = engine.alias_map().get(name)
    if not targets:
        raise IndexNotFoundError(name)
    if len(targets) > 1:
        names = ", ".join(sorted(t.name for t in targets))
        raise IllegalArgumentError(
            f"alias [{name}] has more than one index associated with it [{names}], can't execute a single index op"
        )
    return targets[0]


def get_document(
    engine: Engine,
    index: Index,
    doc_id: str,
    params: dict[str, str],
    body_source: Any = None,
    verbatim: bool = False,
) -> dict[str, Any]:
    """A GET response; ``verbatim`` embeds an unfiltered ``_source`` as the bytes sent."""
    if params.get("refresh") in ("", "true"):
        index.refresh()
    state = index.current(doc_id)
    realtime = params.get("realtime", "true") != "false"
    if not realtime and doc_id not in index.shard.id_to_ord:
        state = None
    if state is None or state.deleted:
        return {"_index": index.name, "_id": doc_id, "found": False}
    if "version" in params and int(params["version"]) != state.version:
        from ..errors import VersionConflictError

        raise VersionConflictError(
            f"[{doc_id}]: version conflict, current version [{state.version}] is different than the one provided [{params['version']}]",
            index_uuid=index.uuid,
            shard="0",
            index=index.name,
        )
    out: dict[str, Any] = {
        "_index": index.name,
        "_id": doc_id,
        "_version": state.version,
        "_seq_no": state.seq_no,
        "_primary_term": PRIMARY_TERM,
    }
    if state.routing is not None:
        out["_routing"] = state.routing
    out["found"] = True
    fetch, includes, excludes = from_params(params, body_source)
    if fetch and index.mapping.source_enabled and "stored_fields" not in params:
        raw = engine.store.source(index.uuid, doc_id)
        if raw is not None and verbatim and not includes and not excludes:
            out["_source"] = codec.RawJson(raw)
        elif raw is not None:
            out["_source"] = filter_source(codec.loads(raw), includes, excludes)
    return out


def register(router: Router, engine: Engine) -> None:
    register_bulk(router, engine)

    def index_doc(req: Request) -> Response:
        op_type = req.params.get("op_type", "index")
        if req.path.rstrip("/").split("/")[-2:-1] == ["_create"] or "/_create/" in req.path:
            op_type = "create"
        if op_type not in ("index", "create"):
            raise IllegalArgumentError(f"opType must be 'create' or 'index', found: [{op_type}]")
        policy = refresh_policy(req.params)
        raw = (req.body or b"").strip()
        if not raw:
            raise ActionRequestValidationError("source is missing")
        name = req.path_params["index"]
        index = engine.resolve_write(name, require_alias=req.flag("require_alias"))
        versioning = alias_routing(name, index, versioning_from(req.params, op_type))
        check_pipeline(index, req.params.get("pipeline"))
        batch = WriteBatch(engine)
        result = batch.index(
            index, req.path_params.get("id"), parse_source(raw), versioning, raw=raw
        )
        batch.commit()
        apply_refresh([index], policy, result)
        status = result.pop("status")
        return Response(status, result)

    def get_doc(req: Request) -> Response:
        index = single_index(engine, req.path_params["index"])
        result = get_document(engine, index, req.path_params["id"], req.params, verbatim=True)
        return Response(200 if result["found"] else 404, result)

    def get_source(req: Request) -> Response:
        index = single_index(engine, req.path_params["index"])
        result = get_document(engine, index, req.path_params["id"], req.params, verbatim=True)
        if not result["found"]:
            raise OpenSearchError(
                f"Document not found [{index.name}]/[{req.path_params['id']}]",
                status=404,
                error_type="resource_not_found_exception",
            )
        return Response(200, result.get("_source", {}))

    def mget(req: Request) -> Response:
        body = req.json()
        default_index = req.path_params.get("index")
        specs: list[dict[str, Any]]
        if "docs" in body:
            specs = list(body["docs"])
        elif "ids" in body:
            specs = [{"_id": i} for i in body["ids"]]
        else:
            raise OpenSearchError(
                "Validation Failed: 1: no documents to get;",
                status=400,
                error_type="action_request_validation_exception",
            )
        docs = []
        for spec in specs:
            name = spec.get("_index", default_index)
            doc_id = str(spec.get("_id"))
            if name is None:
                raise OpenSearchError(
                    "Validation Failed: 1: index is missing for doc 0;",
                    status=400,
                    error_type="action_request_validation_exception",
                )
            try:
                index = single_index(engine, name)
                params = dict(req.params)
                if "_source" in spec:
                    params.pop("_source_includes", None)
                    params.pop("_source_excludes", None)
                    fetch, inc, exc = parse_spec(spec["_source"])
                    params["_source"] = "true" if fetch else "false"
                    if inc:
                        params["_source_includes"] = ",".join(inc)
                    if exc:
                        params["_source_excludes"] = ",".join(exc)
                docs.append(get_document(engine, index, doc_id, params, verbatim=True))
            except OpenSearchError as err:
                docs.append(
                    {"_index": name, "_id": doc_id, "error": err.to_dict(with_root_cause=True)}
                )
        return Response(200, {"docs": docs})

    def delete_doc(req: Request) -> Response:
        policy = refresh_policy(req.params)
        name = req.path_params["index"]
        index = engine.resolve_write(name, auto_create=False)
        versioning = alias_routing(name, index, versioning_from(req.params, "delete"))
        batch = WriteBatch(engine)
        result = batch.delete(index, req.path_params["id"], versioning)
        batch.commit()
        apply_refresh([index], policy, result)
        status = result.pop("status")
        return Response(status, result)

    def update_doc(req: Request) -> Response:
        policy = refresh_policy(req.params)
        name = req.path_params["index"]
        index = engine.resolve_write(name, require_alias=req.flag("require_alias"))
        versioning = alias_routing(name, index, versioning_from(req.params, "update"))
        body = req.json()
        spec = None
        if (
            any(k in req.params for k in ("_source", "_source_includes", "_source_excludes"))
            or "_source" in body
        ):
            spec = from_params(req.params, body.get("_source"))
        batch = WriteBatch(engine)
        result = batch.update(index, req.path_params["id"], body, versioning, spec)
        batch.commit()
        if result["result"] != "noop":
            apply_refresh([index], policy, result)
        status = result.pop("status")
        return Response(
            201 if result["result"] == "created" else status if status != 201 else 200, result
        )

    router.add("PUT,POST", "/{index}/_doc/{id}", index_doc)
    router.add("POST", "/{index}/_doc", index_doc)
    router.add("PUT,POST", "/{index}/_create/{id}", index_doc)
    router.add("GET,HEAD", "/{index}/_doc/{id}", get_doc)
    router.add("GET,HEAD", "/{index}/_source/{id}", get_source)
    router.add("DELETE", "/{index}/_doc/{id}", delete_doc)
    router.add("POST", "/{index}/_update/{id}", update_doc)
    router.add("GET,POST", "/_mget", mget)
    router.add("GET,POST", "/{index}/_mget", mget)
