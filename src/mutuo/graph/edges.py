"""The like/match graph as read from ``ubi_events``.

An edge ``A -> B`` weighs 1 when A liked B, plus 1 when A and B matched (a match is
mutual, so it adds to both directions whoever logged it). Repeated events do not add
up: the graph says who likes whom, not how often the app logged it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch

from ..events import EVENTS_INDEX

EDGE_ACTIONS = ("like", "match")
PAGE = 5000


@dataclass
class EdgeSet:
    """Directed, weighted edges between member ids."""

    likes: set[tuple[str, str]] = field(default_factory=set)
    matches: set[frozenset[str]] = field(default_factory=set)

    def add(self, actor: str, action: str, target: str) -> None:
        if actor == target:
            return
        if action == "like":
            self.likes.add((actor, target))
        elif action == "match":
            self.matches.add(frozenset((actor, target)))

    def weights(self) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = defaultdict(float)
        for edge in self.likes:
            out[edge] += 1.0
        for pair in self.matches:
            a, b = sorted(pair)
            out[(a, b)] += 1.0
            out[(b, a)] += 1.0
        return dict(out)

    def members(self) -> list[str]:
        ids = {m for edge in self.likes for m in edge} | {m for p in self.matches for m in p}
        return sorted(ids)

    def digests(self) -> dict[str, str]:
        """A hash of each member's out- and in-edges: equal digests, equal fold-in."""
        per_member: dict[str, list[str]] = defaultdict(list)
        for (a, b), w in self.weights().items():
            per_member[a].append(f">{b}:{w:g}")
            per_member[b].append(f"<{a}:{w:g}")
        return {
            m: hashlib.blake2b("\n".join(sorted(lines)).encode(), digest_size=12).hexdigest()
            for m, lines in per_member.items()
        }

    def __len__(self) -> int:
        return len(self.weights())


def edge_set(events: Iterable[tuple[str, str, str]]) -> EdgeSet:
    """Edges from (actor, action, target) triples; other actions are ignored."""
    edges = EdgeSet()
    for actor, action, target in events:
        edges.add(actor, action, target)
    return edges


def _hits(client: OpenSearch, index: str) -> Iterator[dict[str, Any]]:
    body: dict[str, Any] = {
        "query": {"terms": {"action_name": list(EDGE_ACTIONS)}},
        "_source": ["client_id", "action_name", "event_attributes.object.object_id"],
        "sort": [{"_id": "asc"}],
        "size": PAGE,
    }
    while True:
        hits = client.search(index=index, body=body)["hits"]["hits"]
        yield from hits
        if len(hits) < PAGE:
            return
        body["search_after"] = hits[-1]["sort"]


def read_edges(client: OpenSearch, index: str = EVENTS_INDEX) -> EdgeSet:
    """Every like and match in ``index`` (refreshed first, so nothing just written is missed)."""
    client.indices.refresh(index=index)
    edges = EdgeSet()
    for hit in _hits(client, index):
        source = hit["_source"]
        obj = (source.get("event_attributes") or {}).get("object") or {}
        actor, target = source.get("client_id"), obj.get("object_id")
        if isinstance(actor, str) and isinstance(target, str) and actor and target:
            edges.add(actor, str(source.get("action_name")), target)
    return edges
