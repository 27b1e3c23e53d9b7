"""``_bulk``: NDJSON action/source pairs, per-item results, one commit for the lot.

The whole request is parsed before anything is written (a malformed action line or
update body fails the request with 400, as in OpenSearch); each item then succeeds or
fails on its own, and every successful item is committed in one transaction before the
response acknowledges it.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import codec
from ..codec import JsonParseError
from ..documents import WriteBatch, check_pipeline, check_update_body, parse_source
from ..errors import ActionRequestValidationError, IllegalArgumentError, OpenSearchError
from ..index import Index, Versioning
from ..router import Request, Response, Router
from ..source_filter import from_params, parse_spec
from .write_options import alias_routing, apply_refresh, refresh_policy

if TYPE_CHECKING:
    from ..engine import Engine

_ACTIONS = ("index", "create", "update", "delete")
_META_KEYS = {
    "_index",
    "_id",
    "routing",
    "version",
    "version_type",
    "if_seq_no",
    "if_primary_term",
    "retry_on_conflict",
    "require_alias",
    "pipeline",
    "_source",
    "op_type",
    "_type",
    "dynamic_templates",
}
_SOURCE_PARAMS = ("_source", "_source_includes", "_source_excludes")


@dataclass(slots=True)
class BulkOp:
    action: str  # index | create | update | delete
    meta: dict[str, Any]
    raw: bytes | None  # the source line of index/create
    update: dict[str, Any] | None = None  # the parsed body of an update
    parse: codec.Loads = codec.loads  # reads ``raw`` (screened with the whole body)

    @property
    def op_type(self) -> str:
        """The key of the item in the response (``index`` with op_type create is a create)."""
        if self.action == "index" and self.meta.get("op_type") == "create":
            return "create"
        return self.action


def _malformed(line: int, expected: str, found: str) -> OpenSearchError:
    return IllegalArgumentError(
        f"Malformed action/metadata line [{line}], expected {expected} but found [{found}]"
    )


def _action_line(raw: bytes, line: int, loads: codec.Loads) -> tuple[str, dict[str, Any]]:
    try:
        action_obj = loads(raw)
    except JsonParseError:
        raise _malformed(line, "START_OBJECT", "VALUE_STRING") from None
    if not isinstance(action_obj, dict):
        raise _malformed(line, "START_OBJECT", "START_ARRAY")
    if not action_obj:
        raise _malformed(line, "FIELD_NAME", "END_OBJECT")
    if len(action_obj) != 1:
        raise _malformed(line, "END_OBJECT", "FIELD_NAME")
    ((action, meta),) = action_obj.items()
    if action not in _ACTIONS:
        raise IllegalArgumentError(
            f"Malformed action/metadata line [{line}], expected one of [create, delete, index, "
            f"update] but found [{action}]"
        )
    if not isinstance(meta, dict):
        raise _malformed(line, "START_OBJECT or END_OBJECT", "VALUE")
    for key, value in meta.items():
        if key not in _META_KEYS:
            raise IllegalArgumentError(
                f"Action/metadata line [{line}] contains an unknown parameter [{key}]"
            )
        if isinstance(value, list) or (isinstance(value, dict) and key != "_source"):
            raise _malformed(line, f"a simple value for field [{key}]", "START_ARRAY")
    return action, meta


def _update_body(raw: bytes, meta: dict[str, Any], loads: codec.Loads) -> dict[str, Any]:
    if meta.get("version") is not None or meta.get("version_type", "internal") != "internal":
        raise IllegalArgumentError(
            "Update requests do not support versioning. Please use `if_seq_no` and "
            "`if_primary_term` instead"
        )
    body = codec.loads_object(raw, "update request", loads)
    check_update_body(body)
    return body


def parse_bulk(body: bytes | None) -> list[BulkOp]:
    """Every operation of a bulk body; a malformed structure fails the whole request."""
    if not body or not body.strip():
        raise ActionRequestValidationError("no requests added")
    if not body.endswith(b"\n"):
        raise IllegalArgumentError("The bulk request must be terminated by a newline [\\n]")
    loads = codec.loader(body)
    lines = body.split(b"\n")
    ops: list[BulkOp] = []
    i = 0
    while i < len(lines):
        raw, line_no = lines[i], i + 1
        i += 1
        if not raw.strip():
            continue
        action, meta = _action_line(raw, line_no, loads)
        if action == "delete":
            ops.append(BulkOp(action, meta, None))
            continue
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines):
            raise ActionRequestValidationError(f"source is missing for action on line [{line_no}]")
        source = lines[i].strip()
        i += 1
        if action == "update":
            ops.append(BulkOp(action, meta, None, _update_body(source, meta, loads)))
        else:
            ops.append(BulkOp(action, meta, source, parse=loads))
    return ops


class _BulkRun:
    """Applies the operations of one bulk request to one write batch."""

    def __init__(self, engine: Engine, req: Request) -> None:
        self.engine = engine
        self.req = req
        self.batch = WriteBatch(engine)
        self.touched: dict[str, Index] = {}
        self.default_index = req.path_params.get("index")
        self.default_require_alias = req.flag("require_alias")
        self.default_pipeline = req.params.get("pipeline")
        self._resolved: dict[tuple[str, bool, bool], Index] = {}
        self._has_source_params = any(k in req.params for k in _SOURCE_PARAMS)

    def create_missing_indices(self, ops: list[BulkOp]) -> None:
        """Auto-create the indices that writes name before any item runs, as OpenSearch's
        bulk action does, so a delete ahead of the first write to a new index finds it."""
        seen: set[tuple[str, bool]] = set()
        for op in ops:
            name = op.meta.get("_index", self.default_index)
            if op.action == "delete" or name is None:
                continue
            require_alias = bool(op.meta.get("require_alias", self.default_require_alias))
            if (name, require_alias) in seen:
                continue
            seen.add((name, require_alias))
            with contextlib.suppress(OpenSearchError):  # the item reports the error
                self.engine.resolve_write(name, require_alias=require_alias)

    def prefetch_sources(self, ops: list[BulkOp]) -> None:
        """Read what the bulk's partial updates merge into, one query per target index."""
        ids: dict[str, list[str]] = {}
        for op in ops:
            name = op.meta.get("_index", self.default_index)
            if op.action == "update" and name is not None and op.meta.get("_id") is not None:
                ids.setdefault(name, []).append(str(op.meta["_id"]))
        for name, doc_ids in ids.items():
            with contextlib.suppress(OpenSearchError):  # the items report the error
                index = self.engine.resolve_write(name, auto_create=False)
                self.batch.prefetch(index, doc_ids)

    def item(self, op: BulkOp) -> dict[str, Any]:
        name = op.meta.get("_index", self.default_index)
        doc_id = None if op.meta.get("_id") is None else str(op.meta["_id"])
        try:
            return self._apply(op, name, doc_id)
        except OpenSearchError as err:
            error = err.to_dict()
            if "index" in err.metadata or err.error_type == "version_conflict_engine_exception":
                error.setdefault("index", name)
            return {"_index": name, "_id": doc_id, "status": err.status, "error": error}

    def _apply(self, op: BulkOp, name: str | None, doc_id: str | None) -> dict[str, Any]:
        if name is None:
            raise ActionRequestValidationError("index is missing")
        require_alias = bool(op.meta.get("require_alias", self.default_require_alias))
        index = self._resolve(name, require_alias, op.action != "delete")
        self.touched[index.name] = index
        routing = op.meta.get("routing", self.req.params.get("routing"))
        versioning = Versioning(
            version=op.meta.get("version"),
            version_type=op.meta.get("version_type", "internal"),
            if_seq_no=op.meta.get("if_seq_no"),
            if_primary_term=op.meta.get("if_primary_term"),
            op_type=op.op_type,
            routing=None if routing is None else str(routing),
        )
        versioning = alias_routing(name, index, versioning)
        if op.action in ("index", "create"):
            assert op.raw is not None
            check_pipeline(index, op.meta.get("pipeline", self.default_pipeline))
            source = parse_source(op.raw, op.parse)
            return self.batch.index(index, doc_id, source, versioning, raw=op.raw)
        if not doc_id:
            raise ActionRequestValidationError("id is missing")
        if op.action == "delete":
            return self.batch.delete(index, doc_id, versioning)
        assert op.update is not None
        return self.batch.update(index, doc_id, op.update, versioning, self._source_spec(op))

    def _resolve(self, name: str, require_alias: bool, auto_create: bool) -> Index:
        """The index a write lands in, resolved once per bulk for each target (indices
        the bulk creates exist before the first item runs; failures are not kept, so
        each failing item reports its own error)."""
        key = (name, require_alias, auto_create)
        index = self._resolved.get(key)
        if index is None:
            index = self.engine.resolve_write(
                name, require_alias=require_alias, auto_create=auto_create
            )
            self._resolved[key] = index
        return index

    def _source_spec(self, op: BulkOp) -> tuple[bool, list[str], list[str]] | None:
        assert op.update is not None
        if "_source" in op.meta:
            return parse_spec(op.meta["_source"])
        if "_source" in op.update:
            return parse_spec(op.update["_source"])
        if self._has_source_params:
            return from_params(self.req.params)
        return None


def register_bulk(router: Router, engine: Engine) -> None:
    def bulk(req: Request) -> Response:
        started = time.perf_counter()
        policy = refresh_policy(req.params)
        ops = parse_bulk(req.body)
        run = _BulkRun(engine, req)
        run.create_missing_indices(ops)
        run.prefetch_sources(ops)
        results = [run.item(op) for op in ops]
        run.batch.commit()
        refreshed: dict[str, Any] = {}
        apply_refresh(list(run.touched.values()), policy, refreshed)
        for result in results:
            if refreshed and "error" not in result and result.get("result") != "noop":
                result["forced_refresh"] = True
        items = [{op.op_type: result} for op, result in zip(ops, results, strict=True)]
        errors = any("error" in result for result in results)
        took = int((time.perf_counter() - started) * 1000)
        return Response(200, {"took": took, "errors": errors, "items": items})

    router.add("POST,PUT", "/_bulk", bulk)
    router.add("POST,PUT", "/{index}/_bulk", bulk)
