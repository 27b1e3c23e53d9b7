"""``_bulk``: NDJSON action/source pairs, per-item results, one commit for the lot."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .. import codec
from ..codec import JsonParseError
from ..documents import WriteBatch
from ..errors import IllegalArgumentError, OpenSearchError
from ..index import Versioning
from ..router import Request, Response, Router
from ..source_filter import from_params, parse_spec

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


def _malformed(line: int, found: str) -> OpenSearchError:
    return IllegalArgumentError(
        f"Malformed action/metadata line [{line}], expected FIELD_NAME but found [{found}]"
    )


def parse_bulk(body: bytes | None) -> list[tuple[str, dict[str, Any], Any]]:
    """(action, metadata, source) triples; malformed structure fails the whole request."""
    if not body or not body.strip():
        raise OpenSearchError(
            "Validation Failed: 1: no requests added;",
            status=400,
            error_type="action_request_validation_exception",
        )
    if not body.endswith(b"\n"):
        raise IllegalArgumentError("The bulk request must be terminated by a newline [\\n]")
    lines = body.split(b"\n")
    out: list[tuple[str, dict[str, Any], Any]] = []
    i = 0
    while i < len(lines):
        raw = lines[i]
        line_no = i + 1
        i += 1
        if not raw.strip():
            continue
        try:
            action_obj = codec.loads(raw)
        except JsonParseError:
            raise _malformed(line_no, "VALUE_STRING") from None
        if not isinstance(action_obj, dict):
            raise _malformed(line_no, "START_ARRAY")
        if not action_obj:
            raise _malformed(line_no, "END_OBJECT")
        if len(action_obj) != 1:
            raise IllegalArgumentError(
                f"Malformed action/metadata line [{line_no}], expected END_OBJECT but found [FIELD_NAME]"
            )
        ((action, meta),) = action_obj.items()
        if action not in _ACTIONS:
            raise IllegalArgumentError(
                f"Action/metadata line [{line_no}] contains an unknown parameter [{action}]"
            )
        if not isinstance(meta, dict):
            raise IllegalArgumentError(
                f"Malformed action/metadata line [{line_no}], expected START_OBJECT but found [{type(meta).__name__}]"
            )
        for key in meta:
            if key not in _META_KEYS:
                raise IllegalArgumentError(
                    f"Action/metadata line [{line_no}] contains an unknown parameter [{key}]"
                )
        source: Any = None
        if action != "delete":
            while i < len(lines) and not lines[i].strip():
                i += 1
            if i >= len(lines):
                raise IllegalArgumentError(
                    f"Validation Failed: 1: source is missing for action on line [{line_no}];"
                )
            source = lines[i]
            i += 1
        out.append((action, meta, source))
    return out


def register_bulk(router: Router, engine: Engine) -> None:
    def bulk(req: Request) -> Response:
        started = time.perf_counter()
        ops = parse_bulk(req.body)
        default_index = req.path_params.get("index")
        default_require_alias = req.flag("require_alias")
        batch = WriteBatch(engine)
        items: list[dict[str, Any]] = []
        touched: dict[str, Any] = {}
        for action, meta, raw_source in ops:
            op_type = "create" if action == "index" and meta.get("op_type") == "create" else action
            name = meta.get("_index", default_index)
            doc_id = meta.get("_id")
            doc_id = None if doc_id is None else str(doc_id)
            try:
                if name is None:
                    raise OpenSearchError(
                        "Validation Failed: 1: index is missing;",
                        status=400,
                        error_type="action_request_validation_exception",
                    )
                require_alias = bool(meta.get("require_alias", default_require_alias))
                index = engine.resolve_write(
                    name, require_alias=require_alias, auto_create=action != "delete"
                )
                touched[index.name] = index
                versioning = Versioning(
                    version=meta.get("version"),
                    version_type=meta.get("version_type", "internal"),
                    if_seq_no=meta.get("if_seq_no"),
                    if_primary_term=meta.get("if_primary_term"),
                    op_type=op_type,
                )
                if action in ("index", "create"):
                    source = codec.loads(raw_source)
                    result = batch.index(index, doc_id, source, versioning, raw=raw_source.strip())
                elif action == "delete":
                    if not doc_id:
                        raise OpenSearchError(
                            "Validation Failed: 1: id is missing;",
                            status=400,
                            error_type="action_request_validation_exception",
                        )
                    result = batch.delete(index, doc_id, versioning)
                else:
                    if not doc_id:
                        raise OpenSearchError(
                            "Validation Failed: 1: id is missing;",
                            status=400,
                            error_type="action_request_validation_exception",
                        )
                    body = codec.loads(raw_source)
                    spec = None
                    if "_source" in meta:
                        spec = parse_spec(meta["_source"])
                    elif "_source" in body:
                        spec = parse_spec(body["_source"])
                    elif any(
                        k in req.params for k in ("_source", "_source_includes", "_source_excludes")
                    ):
                        spec = from_params(req.params)
                    result = batch.update(index, doc_id, body, versioning, spec)
                items.append({op_type: result})
            except OpenSearchError as err:
                item: dict[str, Any] = {"_index": name, "_id": doc_id, "status": err.status}
                error = err.to_dict()
                if "index" in err.metadata or err.error_type == "version_conflict_engine_exception":
                    error.setdefault("index", name)
                item["error"] = error
                items.append({op_type: item})
        batch.commit()
        value = req.params.get("refresh", "false")
        if value in ("", "true", "wait_for"):
            for index in touched.values():
                index.refresh()
        elif value != "false":
            raise IllegalArgumentError(f"Unknown value for refresh: [{value}].")
        errors = any("error" in next(iter(item.values())) for item in items)
        for item in items:
            result = next(iter(item.values()))
            if value in ("", "true") and "error" not in result and result.get("result") != "noop":
                result["forced_refresh"] = True
        took = int((time.perf_counter() - started) * 1000)
        return Response(200, {"took": took, "errors": errors, "items": items})

    router.add("POST,PUT", "/_bulk", bulk)
    router.add("POST,PUT", "/{index}/_bulk", bulk)
