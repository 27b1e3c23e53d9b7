"""Write a synthetic population into the sync's change log (the local source)."""

from __future__ import annotations

from pathlib import Path

from ..sync.changelog import ChangeLogWriter
from .population import generate_members


def write_population(log: str | Path, n: int, seed: int = 7) -> int:
    """Append one insert per generated member; the number written (0 if the log already
    holds changes, so running the demo twice does not duplicate the population)."""
    path = Path(log)
    if path.exists() and path.stat().st_size > 0:
        return 0
    members = generate_members(n, seed=seed)
    with ChangeLogWriter(path) as writer:
        writer.append_many([("insert", m.id, m.profile) for m in members])
    return len(members)
