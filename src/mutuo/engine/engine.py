"""The embedded engine: one object that owns a data path and answers REST requests.

``Engine.handle(method, path, params, body)`` is the single entry point (the adapters in
:mod:`.connection` and :mod:`.server` are thin). All requests are serialised by one
re-entrant lock: the engine is a single-node, single-shard stand-in for a cluster, and
Python would not run its numpy-free parts in parallel anyway.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import codec, ltr, snapshot, vectors
from .api import (
    aliases,
    cluster,
    documents,
    index_templates,
    indices,
    msearch,
    scripts,
    search,
    search_pipelines,
    update_by_query,
)
from .api.indices import create_index
from .errors import (
    IllegalArgumentError,
    IndexNotFoundError,
    OpenSearchError,
)
from .index import Index
from .lock import WriterLock
from .router import Request, Response, Router
from .shard import PendingOp
from .store import DocRow, Store

log = logging.getLogger("mutuo.engine")

SNAPSHOT_CHECK_S = 600.0  # how often the refresher considers writing snapshots
SNAPSHOT_MIN_CHANGES = 1000

_GLOBAL_PARAMS = ("pretty", "human", "error_trace", "filter_path")

ApiModule = Callable[[Router, "Engine"], None]


def api_modules() -> list[ApiModule]:
    """Every REST API group the engine serves; each registers its routes."""
    return [
        cluster.register,
        indices.register,
        index_templates.register,
        aliases.register,
        documents.register,
        search.register,
        msearch.register,
        update_by_query.register,
        ltr.register,
        vectors.register,
        search_pipelines.register,
        scripts.register,
    ]


class Engine:
    def __init__(self, path: str | Path) -> None:
        self.in_memory = str(path) == ":memory:"
        self.path = Path(path) if not self.in_memory else None
        self.lock = threading.RLock()
        self._writer_lock: WriterLock | None = None
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._writer_lock = WriterLock(self.path)
            self._writer_lock.acquire()
        try:
            self.store = Store(Path(":memory:") if self.path is None else self.path / "engine.db")
        except Exception:
            if self._writer_lock:
                self._writer_lock.release()
            raise
        self.indices: dict[str, Index] = {}
        self.extensions: dict[str, Any] = {}  # state of API modules (pipelines, ltr, ...)
        self.close_hooks: list[Callable[[], None]] = []
        self.open_hooks: list[Callable[[Index], None]] = []  # an index is created or loaded
        self.unload_hooks: list[Callable[[Index], None]] = []  # in-memory state dropped
        self.delete_hooks: list[Callable[[Index], None]] = []  # the index is gone for good
        self.router = Router()
        for register in api_modules():
            register(self.router, self)
        self._load()
        self._last_snapshot_check = time.monotonic()
        self._stop = threading.Event()
        self._refresher = threading.Thread(
            target=self._refresh_loop, name="mutuo-refresh", daemon=True
        )
        self._refresher.start()

    # -- lifecycle ---------------------------------------------------------------------

    def _load(self) -> None:
        for name, uuid, meta in self.store.indices():
            index = Index.from_metadata(name, uuid, meta)
            self._attach(index)
            if self.path is not None and snapshot.restore(self.path, index):
                self._replay_newer(index)
            else:
                self._replay_all(index)
            index.refresh()
            self.indices[name] = index
            for hook in self.open_hooks:
                hook(index)

    def _replay_all(self, index: Index) -> None:
        """Index every live stored document again (no usable snapshot)."""
        for row in self.store.docs(index.uuid):
            index.load_row(row)
            if not row.deleted and row.source is not None:
                self._enqueue_row(index, row.id, row.seq_no, row.version, row.source)

    def _replay_newer(self, index: Index) -> None:
        """Bring a restored snapshot up to the store: re-index what changed since."""
        shard = index.shard
        seq_nos = shard.seq_nos.view()
        stale: list[DocRow] = []
        live_in_store: set[str] = set()
        for row in self.store.docs(index.uuid, with_source=False):
            index.load_row(row)
            if row.deleted:
                continue
            live_in_store.add(row.id)
            ordinal = shard.id_to_ord.get(row.id)
            if ordinal is None or int(seq_nos[ordinal]) != row.seq_no:
                stale.append(row)
        for doc_id in [d for d in shard.id_to_ord if d not in live_in_store]:
            shard.enqueue(PendingOp(doc_id, -1, 0, None))  # a delete: no new ordinal
        for start in range(0, len(stale), 1000):
            chunk = stale[start : start + 1000]
            sources = self.store.sources(index.uuid, [row.id for row in chunk])
            for row in chunk:
                self._enqueue_row(index, row.id, row.seq_no, row.version, sources[row.id])

    @staticmethod
    def _enqueue_row(index: Index, doc_id: str, seq_no: int, version: int, source: bytes) -> None:
        parsed = index.mapping.parse_document(codec.loads(source), doc_id)
        index.shard.enqueue(PendingOp(doc_id, seq_no, version, parsed.values))

    def reload(self) -> None:
        """Drop every in-memory structure and rebuild it from the store."""
        with self.lock:
            for index in list(self.indices.values()):
                for hook in self.unload_hooks:
                    hook(index)
            self.indices.clear()
            self.extensions.pop("templates", None)
            self._load()

    def _attach(self, index: Index) -> None:
        uuid = index.uuid
        index.read_source = lambda doc_id: self.store.stored(uuid, [doc_id], False).get(doc_id)
        index.read_vectors = lambda doc_id: self.store.vectors(uuid, doc_id)

    def close(self) -> None:
        self._stop.set()
        self._refresher.join(timeout=5)
        with self.lock:
            for hook in self.close_hooks:
                hook()
            self._save_snapshots(force=True)
            self.store.close()
            if self._writer_lock:
                self._writer_lock.release()

    def _refresh_loop(self) -> None:
        while not self._stop.wait(0.1):
            now = time.monotonic()
            with self.lock:
                for index in list(self.indices.values()):
                    interval = index.refresh_interval_ms
                    if (
                        index.shard.pending
                        and interval is not None
                        and (now - index.last_refresh) * 1000 >= interval
                    ):
                        try:
                            index.refresh()
                        except Exception:  # keep refreshing other indices
                            log.exception("periodic refresh of [%s] failed", index.name)
                if now - self._last_snapshot_check >= SNAPSHOT_CHECK_S:
                    self._last_snapshot_check = now
                    self._save_snapshots(force=False)

    def _save_snapshots(self, force: bool) -> None:
        """Snapshot indices with enough changes (every index with any change when forced)."""
        if self.path is None:
            return
        for index in list(self.indices.values()):
            shard = index.shard
            threshold = 1 if force else max(SNAPSHOT_MIN_CHANGES, shard.maxdoc // 20)
            if shard.changes_since_snapshot < threshold and not (
                force and not snapshot.path_for(self.path, index.uuid).exists()
            ):
                continue
            try:
                index.refresh()
                snapshot.save(self.path, index)
            except Exception:  # derived data: the store still has everything
                log.exception("snapshot of [%s] failed", index.name)

    # -- request entry point -----------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one REST request: (status, headers, JSON body bytes)."""
        params = {k: _param_str(v) for k, v in (params or {}).items()}
        data_in = body.encode() if isinstance(body, str) else body
        if data_in is None and "source" in params:
            data_in = params.pop("source").encode()
            params.pop("source_content_type", None)
        filter_path = params.get("filter_path")
        request = Request(
            method.upper(), path.split("?", 1)[0], params, data_in, headers=dict(headers or {})
        )
        try:
            response = self._dispatch(request)
        except OpenSearchError as err:
            response = Response(err.status, err.body())
        except Exception as exc:  # an engine bug: answer like OpenSearch answers a 500
            log.error("unhandled error for %s %s\n%s", method, path, traceback.format_exc())
            internal = OpenSearchError(f"{type(exc).__name__}: {exc}")
            response = Response(500, internal.body())
        out_headers = {"content-type": "application/json; charset=UTF-8", **response.headers}
        if request.method == "HEAD":
            return response.status, out_headers, b""
        payload = response.body
        if filter_path and isinstance(payload, dict | codec.RawJson):
            payload = apply_filter_path(codec.thaw(payload), filter_path)
        data = payload if isinstance(payload, bytes) else codec.dumps(payload)
        return response.status, out_headers, data

    def _dispatch(self, request: Request) -> Response:
        handler, path_params, allowed = self.router.match(request.method, request.path)
        if handler is None:
            if allowed:
                return Response(
                    405,
                    {
                        "error": f"Incorrect HTTP method for uri [{request.path}] and method "
                        f"[{request.method}], allowed: [{', '.join(allowed)}]",
                        "status": 405,
                    },
                )
            return Response(
                400,
                {
                    "error": f"no handler found for uri [{request.path}] and method [{request.method}]",
                    "status": 400,
                },
            )
        request.path_params = path_params
        for key in _GLOBAL_PARAMS:
            request.params.pop(key, None)
        with self.lock:
            return handler(request)

    # -- index resolution --------------------------------------------------------------

    def alias_map(self) -> dict[str, list[Index]]:
        out: dict[str, list[Index]] = {}
        for index in self.indices.values():
            for alias in index.aliases:
                out.setdefault(alias, []).append(index)
        return out

    def resolve(
        self,
        expression: str | Iterable[str] | None,
        *,
        ignore_unavailable: bool = False,
        allow_no_indices: bool = True,
        expand_wildcards: str = "open",
    ) -> list[Index]:
        """Indices named by an expression (names, aliases, wildcards, ``_all``, ``-x``)."""
        if expression is None or expression == "" or expression == "_all":
            parts = ["*"]
        elif isinstance(expression, str):
            parts = [p.strip() for p in expression.split(",") if p.strip()]
        else:
            parts = list(expression)
        if parts == ["_all"]:
            parts = ["*"]
        aliases = self.alias_map()
        include_hidden = "hidden" in expand_wildcards or "all" in expand_wildcards
        selected: dict[str, Index] = {}
        for i, part in enumerate(parts):
            exclude = part.startswith("-") and i > 0
            name = part[1:] if exclude else part
            found: list[Index] = []
            if "*" in name:
                for index in self.indices.values():
                    if fnmatch.fnmatchcase(index.name, name) and (
                        include_hidden
                        or not (
                            index.hidden
                            or (index.name.startswith(".") and not name.startswith("."))
                        )
                    ):
                        found.append(index)
                for alias, targets in aliases.items():
                    if fnmatch.fnmatchcase(alias, name):
                        found.extend(t for t in targets if include_hidden or not t.hidden)
                if not found and not allow_no_indices and not exclude:
                    raise IndexNotFoundError(name)
            elif name in self.indices:
                found = [self.indices[name]]
            elif name in aliases:
                found = aliases[name]
            elif not exclude:
                if ignore_unavailable:
                    continue
                raise IndexNotFoundError(name)
            for index in found:
                if exclude:
                    selected.pop(index.name, None)
                else:
                    selected[index.name] = index
        if not selected and not allow_no_indices:
            raise IndexNotFoundError(",".join(parts))
        return list(selected.values())

    def resolve_write(
        self, name: str, require_alias: bool = False, auto_create: bool = True
    ) -> Index:
        """The index a write to ``name`` lands in (through an alias's write index)."""
        index = self.indices.get(name)
        if index is not None:
            if require_alias:
                raise IndexNotFoundError(
                    name,
                    f"no such index [{name}] and [require_alias] request flag is [true] and "
                    f"[{name}] is not an alias",
                )
            return index
        targets = self.alias_map().get(name)
        if targets:
            writers = [t for t in targets if t.aliases[name].get("is_write_index") is True]
            if len(targets) == 1 and targets[0].aliases[name].get("is_write_index") is not False:
                return targets[0]
            if len(writers) == 1:
                return writers[0]
            raise IllegalArgumentError(
                f"no write index is defined for alias [{name}]. The write index may be explicitly "
                "disabled using is_write_index=false or the alias points to multiple indices "
                "without one being designated as a write index"
            )
        if require_alias:
            raise IndexNotFoundError(
                name,
                f"no such index [{name}] and [require_alias] request flag is [true] and [{name}] "
                "is not an alias",
            )
        if not auto_create:
            raise IndexNotFoundError(name)
        return create_index(self, name, {}, implicit=True)

    def add_index(self, index: Index) -> None:
        self._attach(index)
        with self.store.transaction() as tx:
            tx.put_index(index.name, index.uuid, index.metadata())
        self.indices[index.name] = index
        for hook in self.open_hooks:
            hook(index)

    def delete_index(self, index: Index) -> None:
        with self.store.transaction() as tx:
            tx.delete_index(index.name, index.uuid)
        del self.indices[index.name]
        for hook in (*self.unload_hooks, *self.delete_hooks):
            hook(index)
        if self.path is not None:
            snapshot.remove(self.path, index.uuid)

    def save_metadata(self, index: Index) -> None:
        with self.store.transaction() as tx:
            tx.put_index(index.name, index.uuid, index.metadata())


def _param_str(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_param_str(v) for v in value)
    return str(value)


def apply_filter_path(body: dict[str, Any], filter_path: str) -> dict[str, Any]:
    """OpenSearch's response filtering: ``filter_path=hits.hits._id,took``."""
    patterns = [p.strip().split(".") for p in filter_path.split(",") if p.strip()]
    includes = [p for p in patterns if not p[0].startswith("-")]
    excludes = [[p[0][1:], *p[1:]] for p in patterns if p[0].startswith("-")]
    result: Any = body
    if includes:
        result = _filter(body, includes) or {}
    if excludes:
        result = _exclude(result, excludes)
    return result


def _match_seg(pattern: str, key: str) -> bool:
    return pattern == key or fnmatch.fnmatchcase(key, pattern)


def _filter(node: Any, patterns: list[list[str]]) -> Any:
    if isinstance(node, list):
        kept = [_filter(item, patterns) for item in node]
        kept = [k for k in kept if k is not None]
        return kept or None
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        rest: list[list[str]] = []
        whole = False
        for p in patterns:
            if p[0] == "**":
                rest.append(p)
                if len(p) > 1 and _match_seg(p[1], key):
                    if len(p) == 2:
                        whole = True
                    else:
                        rest.append(p[2:])
            elif _match_seg(p[0], key):
                if len(p) == 1:
                    whole = True
                else:
                    rest.append(p[1:])
        if whole:
            out[key] = value
        elif rest:
            sub = _filter(value, rest)
            if sub is not None and sub != {}:
                out[key] = sub
    return out or None


def _exclude(node: Any, patterns: list[list[str]]) -> Any:
    if isinstance(node, list):
        return [_exclude(item, patterns) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if any(len(p) == 1 and _match_seg(p[0], key) for p in patterns):
            continue
        rest = [p[1:] for p in patterns if len(p) > 1 and _match_seg(p[0], key)]
        out[key] = _exclude(value, rest) if rest else value
    return out
