"""The one composition root: every OpenSearch client in mutuo is built here.

``embedded://PATH`` plugs the in-process engine into opensearch-py as its
``connection_class``; ``http(s)://host:port`` (comma-separated for several nodes) is a
real cluster. Nothing else in mutuo constructs a client.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson
from opensearchpy import AsyncOpenSearch, OpenSearch
from opensearchpy.serializer import JSONSerializer

from .engine import codec
from .engine.connection import AsyncEmbeddedConnection, EmbeddedConnection
from .errors import ConfigError
from .settings import Settings

EMBEDDED_SCHEME = "embedded://"


def _options(url: str | None, options: dict[str, Any]) -> tuple[Settings, dict[str, Any]]:
    settings = Settings.load(
        opensearch_url=url,
        **{
            k: options.pop(k)
            for k in ("username", "password", "ca_certs", "verify_certs", "timeout")
            if k in options
        },
    )
    return settings, options


def _cluster_kwargs(settings: Settings) -> dict[str, Any]:
    hosts = []
    for part in settings.opensearch_url.split(","):
        parts = urlsplit(part.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"cannot use OpenSearch URL {part!r}: expected embedded://PATH or http(s)://host:port"
            )
        hosts.append(
            {
                "host": parts.hostname,
                "port": parts.port or 9200,
                "url_prefix": parts.path.rstrip("/"),
                "use_ssl": parts.scheme == "https",
            }
        )
    kwargs: dict[str, Any] = {
        "hosts": hosts,
        "timeout": settings.timeout,
        "verify_certs": settings.verify_certs,
        "ssl_show_warn": settings.verify_certs,
    }
    if settings.username:
        kwargs["http_auth"] = (settings.username, settings.password or "")
    if settings.ca_certs:
        kwargs["ca_certs"] = settings.ca_certs
    return kwargs


def embedded_path(url: str) -> str | None:
    """The data path of an ``embedded://`` URL (``:memory:`` for an in-memory engine)."""
    if not url.startswith(EMBEDDED_SCHEME):
        return None
    path = url[len(EMBEDDED_SCHEME) :]
    if not path:
        raise ConfigError(
            "embedded:// needs a path, e.g. embedded://.mutuo/engine or embedded://:memory:"
        )
    return path


def connect(url: str | None = None, **options: Any) -> OpenSearch:
    """An ``opensearchpy.OpenSearch`` client for the embedded engine or a cluster.

    >>> client = connect("embedded://:memory:")
    >>> client.info()["version"]["distribution"]
    'opensearch'
    """
    settings, extra = _options(url, options)
    extra.setdefault("serializer", FastJSONSerializer())
    path = embedded_path(settings.opensearch_url)
    if path is not None:
        return OpenSearch(
            hosts=[{"host": "embedded", "port": 9200, "engine_path": path}],
            connection_class=EmbeddedConnection,
            timeout=settings.timeout,
            **extra,
        )
    return OpenSearch(**_cluster_kwargs(settings), **extra)


def connect_async(url: str | None = None, **options: Any) -> AsyncOpenSearch:
    """The ``AsyncOpenSearch`` twin of :func:`connect`."""
    settings, extra = _options(url, options)
    extra.setdefault("serializer", FastJSONSerializer())
    path = embedded_path(settings.opensearch_url)
    if path is not None:
        return AsyncOpenSearch(
            hosts=[{"host": "embedded", "port": 9200, "engine_path": path}],
            connection_class=AsyncEmbeddedConnection,
            timeout=settings.timeout,
            **extra,
        )
    return AsyncOpenSearch(**_cluster_kwargs(settings), **extra)


class FastJSONSerializer(JSONSerializer):
    """opensearch-py's serializer with orjson for the common types (vectors are big lists
    of floats, where the stdlib ``json`` module is the bottleneck)."""

    def dumps(self, data: Any) -> str:
        if isinstance(data, str):
            return data
        try:
            return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY).decode()
        except TypeError:
            return super().dumps(data)

    def loads(self, s: str) -> Any:
        return codec.loads(s)
