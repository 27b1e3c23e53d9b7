"""mutuo's exception tree (the engine's OpenSearch-shaped errors live in ``engine.errors``).

    MutuoError                      base: a message a user can act on
    ├── ConfigError                 bad settings, URL or option
    ├── ArtifactError               an artifact file is invalid (file + JSON pointer)
    ├── SourceError                 the sync source cannot be read
    └── ModelError                  an LTR model cannot be trained, exported or uploaded

Errors from the engine or a cluster arrive as opensearch-py's ``TransportError``
subclasses (``NotFoundError``, ``RequestError``, ``ConflictError``...), on both engines.
"""

from __future__ import annotations


class MutuoError(Exception):
    """Base class; the CLI prints the message on one line and exits 1."""


class ConfigError(MutuoError):
    pass


class ArtifactError(MutuoError):
    def __init__(self, path: str, pointer: str, message: str) -> None:
        super().__init__(f"{path}{'#' + pointer if pointer else ''}: {message}")
        self.path = path
        self.pointer = pointer


class SourceError(MutuoError):
    pass


class ModelError(MutuoError):
    pass
