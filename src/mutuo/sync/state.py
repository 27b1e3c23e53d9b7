"""The worker's state directory: checkpoint, embedding cache, and the one-worker lock.

    STATE/checkpoint.json    where to resume (written atomically after each acknowledged bulk)
    STATE/embeddings.sqlite  content-hash -> vector cache
    STATE/known.sqlite       what the sink last wrote of each document (merge mode)
    STATE/worker.lock        held by the running worker (``flock``)

``checkpoint.json`` also carries the counters and the last change's time, which is what
``mutuo sync status`` prints.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError
from .embedding_cache import EmbeddingCache
from .known import KnownDocs

FORMAT = 1


def checkpoint_path(directory: Path) -> Path:
    return directory / "checkpoint.json"


def read_checkpoint(directory: Path) -> dict[str, Any] | None:
    path = checkpoint_path(directory)
    if not path.exists():
        return None
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON ({exc}); restore it or remove it and run `mutuo sync backfill`"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{path} has an unknown format; remove it and run `mutuo sync backfill`")
    return data


def write_atomic(path: Path, data: bytes, *, durable_rename: bool = True) -> None:
    """Replace ``path`` with ``data`` so a crash leaves the old or the new file, whole.

    ``durable_rename=False`` skips syncing the directory (a journal commit, most of the
    cost): after a power loss the old file may then come back, still whole. For a
    checkpoint that only means replaying changes the index already has.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    if not durable_rename:
        return
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def worker_pid(directory: Path) -> int | None:
    """The pid of the worker holding the state directory, or None."""
    path = directory / "worker.lock"
    if not path.exists():
        return None
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            text = f.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


class SyncState:
    """Owned by one worker at a time."""

    def __init__(self, directory: str | Path, *, source: str, mapping: str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.source = source
        self.mapping = mapping
        self._lock = (self.directory / "worker.lock").open("a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.seek(0)
            pid = self._lock.read().strip()
            self._lock.close()
            raise ConfigError(
                f"another sync worker (pid {pid or '?'}) is using {self.directory}; stop it or pass another --state"
            ) from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(str(os.getpid()))
        self._lock.flush()
        self.cache = EmbeddingCache(self.directory / "embeddings.sqlite")
        self.known = KnownDocs(path=self.directory / "known.sqlite")

    def load(self) -> dict[str, Any] | None:
        """The checkpoint, refusing one written for another source or mapping."""
        data = read_checkpoint(self.directory)
        if data is None:
            return None
        for key, mine in (("source", self.source), ("mapping", self.mapping)):
            if data.get(key) != mine:
                raise ConfigError(
                    f"{checkpoint_path(self.directory)} belongs to {key} {data.get(key)!r}, not {mine!r}: "
                    "use another --state directory, or `mutuo sync backfill` to start over here"
                )
        return data

    def save(self, position: dict[str, Any], phase: str, stats: dict[str, Any]) -> None:
        """Checkpoint after an acknowledged bulk: vectors and known documents first, then
        the position."""
        self.cache.flush()
        self.known.flush()
        record = {
            "format": FORMAT,
            "source": self.source,
            "mapping": self.mapping,
            "phase": phase,
            "position": position,
            "updated_at": time.time(),
            "stats": stats,
        }
        write_atomic(
            checkpoint_path(self.directory),
            orjson.dumps(record, option=orjson.OPT_INDENT_2),
            durable_rename=False,  # after each bulk: an older checkpoint only means a replay
        )

    def close(self) -> None:
        self.cache.close()
        self.known.close()
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()
