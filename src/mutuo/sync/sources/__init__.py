"""Sync sources, chosen by URI: ``file://PATH`` (a change log) or ``mongodb://...``."""

from __future__ import annotations

from ...errors import ConfigError
from .base import ReadOptions, Source
from .file import FileSource

DEFAULT_SOURCE = "file://.mutuo/changes.jsonl"


def open_source(uri: str, collection: str) -> Source:
    """The source for ``uri``, reading ``collection``."""
    if uri.startswith("file://"):
        return FileSource(uri[len("file://") :], collection)
    if uri.startswith(("mongodb://", "mongodb+srv://")):
        from .mongo import MongoSource

        return MongoSource(uri, collection)
    raise ConfigError(
        f"unknown sync source {uri!r}: expected file://PATH or mongodb://HOST/DB?replicaSet=NAME"
    )


__all__ = ["DEFAULT_SOURCE", "FileSource", "ReadOptions", "Source", "open_source"]
