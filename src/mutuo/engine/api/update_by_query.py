"""``_update_by_query`` without scripts: re-index every matching document as it is.

Matching documents are taken from the searchable (refreshed) view in ``_doc`` order,
``scroll_size`` per batch, and written back through the normal write path with
``if_seq_no``/``if_primary_term`` of the version the search saw, so a document changed
since that refresh is a version conflict (``conflicts=abort`` stops with 409,
``conflicts=proceed`` counts it). Each batch is one durable commit. Scripts and ingest
pipelines are refused with an error: re-indexing unchanged sources is all the embedded
engine can do.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import codec
from ..documents import WriteBatch
from ..errors import IllegalArgumentError, ParsingError, VersionConflictError
from ..index import PRIMARY_TERM, Index, Versioning
from ..info import VERSION
from ..router import Request, Response, Router
from ..search_request import ParsedSearch
from .search import alias_filters, target_indices
from .write_options import apply_refresh, refresh_policy

if TYPE_CHECKING:
    from ..engine import Engine

DEFAULT_SCROLL_SIZE = 1000
_BODY_KEYS = {"query", "max_docs", "conflicts"}


def _options(req: Request, body: dict[str, Any]) -> tuple[int | None, str, int, list[str]]:
    warnings: list[str] = []
    for key in body:
        if key == "script":
            raise IllegalArgumentError(
                "[script] is not supported by the embedded engine (no Painless): "
                "_update_by_query can only re-index documents unchanged"
            )
        if key not in _BODY_KEYS:
            raise ParsingError(f"[UpdateByQueryRequest] unknown field [{key}]")
    for param, what in (("pipeline", "ingest pipelines"), ("q", "the [q] query string")):
        if param in req.params:
            raise IllegalArgumentError(
                f"[{param}] ({what}) is not supported by the embedded engine"
            )
    if req.params.get("wait_for_completion") == "false":
        raise IllegalArgumentError(
            "[wait_for_completion=false] needs the tasks API, which the embedded engine does not implement"
        )
    max_docs = req.int_param("max_docs")
    if "size" in req.params:
        warnings.append("Deprecated field [size] used, expected [max_docs] instead")
        max_docs = req.int_param("size")
    if "max_docs" in body:
        max_docs = int(body["max_docs"])
    if max_docs is not None and max_docs <= 0:
        raise IllegalArgumentError(f"[max_docs] parameter cannot be negative, found [{max_docs}]")
    conflicts = str(req.params.get("conflicts", body.get("conflicts", "abort")))
    if conflicts not in ("abort", "proceed"):
        raise IllegalArgumentError(
            f'conflicts may only be "proceed" or "abort" but was [{conflicts}]'
        )
    scroll_size = req.int_param("scroll_size", DEFAULT_SCROLL_SIZE) or DEFAULT_SCROLL_SIZE
    return max_docs, conflicts, scroll_size, warnings


def update_by_query(engine: Engine, req: Request) -> Response:
    started = time.perf_counter()
    body = req.json()
    max_docs, conflicts, scroll_size, warnings = _options(req, body)
    policy = refresh_policy(req.params)
    search = ParsedSearch({"query": body["query"]} if "query" in body else {}, {})
    search.count_only = True
    indices = sorted(target_indices(engine, req), key=lambda i: i.name)
    filters = alias_filters(engine, req.path_params.get("index"))
    matches = _matching(engine, indices, search, filters, max_docs)
    stats = {"total": sum(len(o) for _i, o in matches), "updated": 0, "conflicts": 0, "batches": 0}
    failures: list[dict[str, Any]] = []
    for index, ordinals in matches:
        for start in range(0, len(ordinals), scroll_size):
            stats["batches"] += 1
            _rewrite_batch(engine, index, ordinals[start : start + scroll_size], stats, failures)
            if failures and conflicts == "abort":
                break
        if failures and conflicts == "abort":
            break
    apply_refresh([i for i, _o in matches], policy, {})
    result = {
        "took": int((time.perf_counter() - started) * 1000),
        "timed_out": False,
        "total": stats["total"],
        "updated": stats["updated"],
        "deleted": 0,
        "batches": stats["batches"],
        "version_conflicts": stats["conflicts"],
        "noops": 0,
        "retries": {"bulk": 0, "search": 0},
        "throttled_millis": 0,
        "requests_per_second": -1.0,
        "throttled_until_millis": 0,
        "failures": failures if conflicts == "abort" else [],
    }
    headers = (
        {"warning": ", ".join(f'299 OpenSearch-{VERSION} "{w}"' for w in warnings)}
        if warnings
        else {}
    )
    return Response(409 if failures and conflicts == "abort" else 200, result, headers)


def _matching(
    engine: Engine,
    indices: list[Index],
    search: ParsedSearch,
    filters: dict[str, Any],
    max_docs: int | None,
) -> list[tuple[Index, np.ndarray]]:
    from ..search import run_query

    now_ms = int(time.time() * 1000)
    out = []
    remaining = max_docs
    for index in indices:
        ordinals = run_query(engine, index, search, now_ms, filters.get(index.name)).ordinals
        if remaining is not None:
            ordinals = ordinals[:remaining]
            remaining -= len(ordinals)
        out.append((index, ordinals))
    return out


def _rewrite_batch(
    engine: Engine,
    index: Index,
    ordinals: np.ndarray,
    stats: dict[str, int],
    failures: list[dict[str, Any]],
) -> None:
    ids = [index.shard.ids[o] for o in ordinals.tolist()]
    seq_nos = index.shard.seq_nos.view()[ordinals].tolist()
    raw_sources = _raw_sources(engine, index, ordinals.tolist(), ids)
    batch = WriteBatch(engine)
    for doc_id, seq_no, raw in zip(ids, seq_nos, raw_sources, strict=True):
        source = codec.loads(raw) if raw else {}
        versioning = Versioning(if_seq_no=int(seq_no), if_primary_term=PRIMARY_TERM)
        try:
            batch.index(index, doc_id, source, versioning, raw=raw or b"{}")
            stats["updated"] += 1
        except VersionConflictError as err:
            stats["conflicts"] += 1
            failures.append(
                {
                    "index": index.name,
                    "type": "_doc",
                    "id": doc_id,
                    "cause": err.to_dict(),
                    "status": 409,
                }
            )
    batch.commit()


def _raw_sources(
    engine: Engine, index: Index, ordinals: list[int], ids: list[str]
) -> list[bytes | None]:
    stored = engine.store.sources(
        index.uuid, [i for o, i in zip(ordinals, ids, strict=True) if o not in index.shadow_sources]
    )
    return [
        index.shadow_source(o) if o in index.shadow_sources else stored.get(doc_id)
        for o, doc_id in zip(ordinals, ids, strict=True)
    ]


def register(router: Router, engine: Engine) -> None:
    router.add("POST", "/{index}/_update_by_query", lambda req: update_by_query(engine, req))
