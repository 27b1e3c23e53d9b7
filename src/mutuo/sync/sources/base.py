"""What a sync source provides: batches of changes with the position after each batch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..changes import ChangeBatch


@dataclass(frozen=True)
class ReadOptions:
    batch_size: int = 256
    once: bool = False  # stop once the source has nothing more (caught up)
    poll_s: float = 0.05  # how long to wait for new changes before looking again


class Source(Protocol):
    description: str  # the URI without credentials, for logs and status

    def read(
        self, position: dict[str, Any] | None, stop: threading.Event, options: ReadOptions
    ) -> Iterator[ChangeBatch]:
        """Batches from ``position`` (None: from the beginning, backfilling if needed)
        until ``stop`` is set, or until caught up when ``options.once``."""
        ...

    def backfill_position(self) -> dict[str, Any]:
        """The position that makes :meth:`read` rebuild everything from the source."""
        ...

    def progress(self, position: dict[str, Any] | None) -> tuple[int, int | None]:
        """(done, total) for progress bars: bytes of a log, documents of a scan."""
        ...

    def close(self) -> None: ...
