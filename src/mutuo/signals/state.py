"""The signals worker's state directory: the checkpoint and the one-worker lock.

    STATE/checkpoint.json   {"format": 1, "applied_seq": N, "totals": {...}, "updated_at": ...}
    STATE/worker.lock       held by the running worker (``flock``)

The checkpoint is only an optimisation: every document remembers the last event sequence
applied to it, so a lost checkpoint means replaying from sequence 0, which is slow but
changes nothing twice.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import IO, Any

import orjson

from ..errors import ConfigError
from ..sync.state import write_atomic

FORMAT = 1
DEFAULT_STATE = Path(".mutuo") / "signals"


class SignalsState:
    """Where a worker resumes; ``None`` as directory keeps it in memory (library use)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.applied_seq = 0
        self.totals: dict[str, int] = {}
        self._lock: IO[str] | None = None
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        path = self.directory / "checkpoint.json"
        if path.exists():
            try:
                data = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as exc:
                raise ConfigError(
                    f"{path} is not valid JSON ({exc}); remove it (the worker then replays "
                    "every event, which is safe)"
                ) from None
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ConfigError(f"{path} has an unknown format; remove it")
            self.applied_seq = int(data["applied_seq"])
            self.totals = {k: int(v) for k, v in data.get("totals", {}).items()}

    def _take_lock(self) -> None:
        assert self.directory is not None
        f = (self.directory / "worker.lock").open("a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            pid = f.read().strip() or "?"
            f.close()
            raise ConfigError(
                f"another signals worker (pid {pid}) holds {self.directory}; stop it first"
            ) from None
        f.truncate(0)
        f.write(str(os.getpid()))
        f.flush()
        self._lock = f

    def checkpoint(self, applied_seq: int, totals: dict[str, int]) -> None:
        self.applied_seq = applied_seq
        self.totals = dict(totals)
        if self.directory is None:
            return
        data: dict[str, Any] = {
            "format": FORMAT,
            "applied_seq": applied_seq,
            "totals": self.totals,
            "updated_at": time.time(),
        }
        write_atomic(self.directory / "checkpoint.json", orjson.dumps(data))

    def close(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None
