"""opensearch-py connection classes that talk to an in-process engine.

They plug into ``OpenSearch(connection_class=...)`` and ``AsyncOpenSearch``; everything
above them (serialisation, the transport, error classes, trace logging as curl lines) is
opensearch-py's own code path, byte for byte the one used against a cluster.

Engines are shared per data path within a process (reference counted), so several
clients can use one ``embedded://PATH`` while the file lock keeps other processes out.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from opensearchpy import Connection
from opensearchpy._async.http_aiohttp import AsyncConnection

from .engine import Engine

_registry_lock = threading.Lock()
_engines: dict[str, tuple[Engine, int]] = {}


def acquire_engine(path: str) -> Engine:
    """The engine for ``path`` in this process, opened on first use."""
    key = path if path == ":memory:" else str(Path(path).resolve())
    with _registry_lock:
        if key != ":memory:" and key in _engines:
            engine, count = _engines[key]
            _engines[key] = (engine, count + 1)
            return engine
        engine = Engine(path)
        if key != ":memory:":
            _engines[key] = (engine, 1)
        return engine


def release_engine(engine: Engine) -> None:
    if engine.path is None:
        engine.close()
        return
    key = str(engine.path.resolve())
    with _registry_lock:
        entry = _engines.get(key)
        if entry is None:
            return
        if entry[1] <= 1:
            del _engines[key]
            engine.close()
        else:
            _engines[key] = (entry[0], entry[1] - 1)


class EmbeddedConnection(Connection):
    """A ``Connection`` whose "network" is a method call into the embedded engine."""

    def __init__(
        self,
        host: str = "embedded",
        port: int | None = None,
        engine_path: str = ".mutuo/engine",
        engine: Engine | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("use_ssl", None)
        super().__init__(host=host, port=port or 9200, **_base_kwargs(kwargs))
        self._owned = engine is None
        self.engine = engine or acquire_engine(engine_path)

    def perform_request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
        ignore: Collection[int] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return _perform(self, method, url, params, body, ignore, headers)

    def close(self) -> None:
        if self._owned and self.engine is not None:
            release_engine(self.engine)
            self._owned = False


class AsyncEmbeddedConnection(AsyncConnection):
    """The asyncio twin: requests run in a worker thread so the event loop never blocks."""

    def __init__(
        self,
        host: str = "embedded",
        port: int | None = None,
        engine_path: str = ".mutuo/engine",
        engine: Engine | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("use_ssl", None)
        kwargs.pop("loop", None)
        super().__init__(host=host, port=port or 9200, **_base_kwargs(kwargs))
        self._owned = engine is None
        self.engine = engine or acquire_engine(engine_path)

    async def perform_request(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,
        ignore: Collection[int] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        return await asyncio.to_thread(_perform, self, method, url, params, body, ignore, headers)

    async def close(self) -> None:
        if self._owned:
            release_engine(self.engine)
            self._owned = False


def _perform(
    conn: Connection,
    method: str,
    url: str,
    params: Mapping[str, Any] | None,
    body: bytes | str | None,
    ignore: Collection[int],
    headers: Mapping[str, str] | None,
) -> tuple[int, dict[str, str], str]:
    engine: Engine = conn.engine  # type: ignore[attr-defined]
    start = time.time()
    status, response_headers, data = engine.handle(
        method, url, dict(params or {}), body, dict(headers or {})
    )
    duration = time.time() - start
    raw = data.decode("utf-8", "surrogatepass")
    full_url = f"embedded://{engine.path or ':memory:'}{url}"
    if not (200 <= status < 300) and status not in ignore:
        conn.log_request_fail(method, full_url, url, body, duration, status, raw)
        conn._raise_error(status, raw, response_headers.get("content-type"))
    conn.log_request_success(method, full_url, url, body, status, raw, duration)
    warning = response_headers.get("warning")
    if warning:  # deprecation warnings reach the caller as on a cluster
        conn._raise_warnings([warning])
    return status, response_headers, raw


_BASE_KEYS = {"url_prefix", "timeout", "headers", "http_compress", "opaque_id"}


def _base_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keep the keyword arguments the base Connection understands; drop transport noise."""
    return {k: v for k, v in kwargs.items() if k in _BASE_KEYS}
