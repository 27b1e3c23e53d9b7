"""Which failures are worth retrying, and how long to wait between attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass

from opensearchpy import ConnectionError as TransportConnectionError
from opensearchpy import TransportError


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits up to base * 2**n (capped)."""

    base_s: float = 0.1
    cap_s: float = 30.0

    def delay(self, attempt: int) -> float:
        return random.uniform(self.base_s, min(self.cap_s, self.base_s * 2**attempt))


def transient_item(status: int, error_type: str | None) -> bool:
    """A bulk item failure that succeeds later by itself: overload, a node or shard in
    trouble, or an index write block (held while ``mutuo apply`` swaps an alias)."""
    return (
        status == 429
        or status >= 500
        or (status == 403 and error_type == "cluster_block_exception")
    )


def transient_request(exc: Exception) -> bool:
    """A whole request that failed for a reason worth retrying (timeouts included)."""
    if isinstance(exc, TransportConnectionError):  # includes ConnectionTimeout
        return True
    if isinstance(exc, TransportError) and isinstance(exc.status_code, int):
        info = exc.info if isinstance(exc.info, dict) else {}
        error = info.get("error")
        return transient_item(
            exc.status_code, error.get("type") if isinstance(error, dict) else None
        )
    return False
