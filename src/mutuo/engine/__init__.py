"""The embedded engine: the OpenSearch REST subset mutuo uses, in Python.

This package imports nothing else from mutuo: it stands in for a server. Clients reach
it through opensearch-py (:mod:`.connection`) or over HTTP (:mod:`.server`).
"""

from .connection import AsyncEmbeddedConnection, EmbeddedConnection, acquire_engine, release_engine
from .engine import Engine
from .errors import OpenSearchError
from .info import VERSION

__all__ = [
    "VERSION",
    "AsyncEmbeddedConnection",
    "EmbeddedConnection",
    "Engine",
    "OpenSearchError",
    "acquire_engine",
    "release_engine",
]
