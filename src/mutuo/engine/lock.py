"""One writer process per data path.

The lock is an ``flock`` on ``PATH/write.lock`` held for the life of the engine: the OS
releases it when the process dies, even by ``kill -9``, so a crashed owner never leaves
a stale lock behind. The file records who holds it so a second writer can be told.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from .errors import EngineLockedError


class WriterLock:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "write.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the engine's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise EngineLockedError(
                f"the engine data path [{self.path.parent}] is in use by {holder}; "
                "only one process may open it for writing. Stop that process, or reach its "
                "engine over HTTP with `mutuo serve` and MUTUO_OPENSEARCH_URL=http://127.0.0.1:9200",
                status=500,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
