"""A member's ``viewer_state`` document as ordered id sets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SETS = (
    "seen_ids",
    "liked_ids",
    "passed_ids",
    "blocked_ids",
    "blocked_by_ids",
    "matched_ids",
    "inbox_ids",
)


@dataclass
class ViewerSets:
    """The id sets of one member, insertion-ordered (the oldest ``seen_ids`` go first when
    the list is capped), plus the sequence of the last event applied to the document."""

    member_id: str
    sets: dict[str, dict[str, None]] = field(default_factory=dict)
    seq: int = 0
    exists: bool = False
    changed: bool = False

    @classmethod
    def from_source(cls, member_id: str, source: Mapping[str, Any] | None) -> ViewerSets:
        if source is None:
            return cls(member_id)
        sets = {name: dict.fromkeys(source.get(name) or []) for name in SETS}
        return cls(member_id, sets, int(source.get("signals_seq") or 0), exists=True)

    def has(self, name: str, member_id: str) -> bool:
        return member_id in self.sets.get(name, {})

    def add(self, name: str, member_id: str) -> None:
        ids = self.sets.setdefault(name, {})
        ids.pop(member_id, None)  # re-adding moves the id to the most recent end
        ids[member_id] = None
        self.changed = True

    def remove(self, name: str, member_id: str) -> None:
        ids = self.sets.get(name)
        if ids is not None and member_id in ids:
            del ids[member_id]
            self.changed = True

    def fields(self, now_ms: float, seen_cap: int) -> dict[str, Any]:
        out: dict[str, Any] = {"member_id": self.member_id}
        for name in SETS:
            ids = list(self.sets.get(name, {}))
            out[name] = ids[-seen_cap:] if name == "seen_ids" else ids
        out["signals_seq"] = self.seq
        out["updated_at"] = int(now_ms)
        return out
