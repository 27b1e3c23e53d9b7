"""``mutuo sync status``: what the state directory says about a worker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .state import read_checkpoint, worker_pid


def status(directory: str | Path) -> dict[str, Any]:
    """Running or not, phase, last checkpoint, lag, rate, counters, and the backlog of a
    change log (bytes not yet read)."""
    directory = Path(directory)
    checkpoint = read_checkpoint(directory)
    pid = worker_pid(directory)
    out: dict[str, Any] = {"state": str(directory), "running": pid is not None, "pid": pid}
    if checkpoint is None:
        out["checkpoint"] = None
        return out
    stats = checkpoint.get("stats", {})
    updated = float(checkpoint.get("updated_at", 0))
    totals = stats.get("totals", {})
    out.update(
        {
            "source": checkpoint.get("source"),
            "mapping": checkpoint.get("mapping"),
            "phase": checkpoint.get("phase"),
            "checkpoint": checkpoint.get("position"),
            "checkpoint_age_s": round(time.time() - updated, 1),
            "caught_up": stats.get("caught_up"),
            "lag_s": stats.get("lag_s"),
            "docs_per_s": stats.get("docs_per_s"),
            "last_version": stats.get("last_version"),
            "errors": {
                "dead_letters": totals.get("dead_letters", 0),
                "retries": totals.get("retries", 0),
                "conflicts": totals.get("conflicts", 0),
            },
            "totals": totals,
        }
    )
    source = str(checkpoint.get("source") or "")
    if source.startswith("file://"):
        path = Path(source[len("file://") :])
        size = path.stat().st_size if path.exists() else 0
        out["backlog_bytes"] = max(
            0, size - int((checkpoint.get("position") or {}).get("offset", 0))
        )
    return out
