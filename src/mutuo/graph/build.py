"""``mutuo graph build``: read the like graph, compute ``graph_vector``, write what changed.

A **full** build factorises the whole graph (:func:`.factorize.factorize`) and writes every
member in it. An **incremental** build (the default when a basis is stored) compares each
member's edge digest with the one stored for the vector last written, folds only the
members whose edges changed (both ends of a new like) into the stored basis and writes
only them; everyone else keeps their vector untouched. The basis drifts as folded edges
accumulate, so once more than ``max_folded_share`` of the basis has been folded since the
last factorisation, the build is full again. Members who joined after the last
factorisation are folded in from their edges but are not in the basis, so edges *to* them
count for others only after the next full build.

Writes are partial ``_bulk`` updates of ``graph_vector`` alone; a member deleted since
their events is counted as ``missing``, not an error.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from ..errors import MutuoError
from .basis import DEFAULT_STATE, GraphBasis
from .edges import EdgeSet, read_edges
from .factorize import factorize, fold_in, full_vectors, unit_padded

PROFILES = "profiles"
FIELD = "graph_vector"
DIMENSION = 64
BULK = 500


@dataclass(frozen=True)
class GraphBuildOptions:
    state: Path | None = DEFAULT_STATE  # None: keep no basis (every build is full)
    full: bool = False
    dimension: int = DIMENSION  # graph_vector's dimension in the profiles mapping
    rank: int | None = None  # singular triplets kept (default: the dimension)
    max_folded_share: float = 0.25
    seed: int = 0


@dataclass
class GraphBuildReport:
    mode: str  # "full", "incremental" or "empty"
    reason: str
    members: int  # members with at least one edge
    edges: int
    changed: int  # members whose edges changed since their vector was written
    written: int
    missing: int  # members with edges but no profiles document (deleted)
    without_vector: int  # members whose edges fall outside the kept rank (tiny components)
    rank: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _adjacency(
    weights: dict[tuple[str, str], float],
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    out: dict[str, dict[str, float]] = defaultdict(dict)
    into: dict[str, dict[str, float]] = defaultdict(dict)
    for (a, b), w in weights.items():
        out[a][b] = w
        into[b][a] = w
    return out, into


def _vectors_full(basis: GraphBasis) -> dict[str, np.ndarray]:
    vectors: dict[str, np.ndarray] = {}
    for member, row in zip(basis.ids, full_vectors(basis), strict=True):
        vector = unit_padded(row, basis.dimension)
        if vector is not None:
            vectors[member] = vector
    return vectors


def _vectors_folded(
    basis: GraphBasis, weights: dict[tuple[str, str], float], members: Iterable[str]
) -> dict[str, np.ndarray]:
    out, into = _adjacency(weights)
    vectors: dict[str, np.ndarray] = {}
    for member in members:
        vector = fold_in(basis, out.get(member, {}), into.get(member, {}))
        if vector is not None:
            vectors[member] = vector
    return vectors


def write_vectors(client: OpenSearch, vectors: dict[str, np.ndarray]) -> tuple[int, int]:
    """Partial updates of ``graph_vector``; (written, missing documents)."""
    written = missing = 0
    items = sorted(vectors.items())
    for start in range(0, len(items), BULK):
        actions: list[dict[str, Any]] = []
        for member, vector in items[start : start + BULK]:
            actions.append({"update": {"_index": PROFILES, "_id": member}})
            actions.append({"doc": {FIELD: [round(float(x), 6) for x in vector]}})
        response = client.bulk(body=actions)
        for item in response["items"]:
            result = item["update"]
            if "error" not in result:
                written += 1
            elif result.get("status") == 404:
                missing += 1
            else:
                raise MutuoError(f"cannot write graph_vector of {result['_id']}: {result['error']}")
    client.indices.refresh(index=PROFILES)
    return written, missing


def _plan(
    basis: GraphBasis | None, digests: dict[str, str], options: GraphBuildOptions
) -> tuple[str, str, list[str]]:
    changed = sorted(m for m, d in digests.items() if basis is None or basis.digests.get(m) != d)
    if basis is None:
        return "full", "no stored basis", changed
    if options.full:
        return "full", "--full", changed
    if basis.dimension != options.dimension or (
        options.rank is not None and options.rank != len(basis.singular_values)
    ):
        return "full", "dimension or rank changed", changed
    folded = basis.folded_since_build + len(changed)
    if folded > options.max_folded_share * max(1, len(basis.ids)):
        return "full", f"{folded} members folded since the last factorisation", changed
    return "incremental", f"{len(changed)} members with changed edges", changed


def build_graph(
    client: OpenSearch,
    options: GraphBuildOptions | None = None,
    edges: EdgeSet | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> GraphBuildReport:
    """Compute and write ``graph_vector`` (see the module docstring for full vs incremental)."""
    options = options or GraphBuildOptions()
    started = time.perf_counter()
    say = on_stage or (lambda _s: None)
    say("reading likes and matches from ubi_events")
    edges = edges if edges is not None else read_edges(client)
    weights, digests, members = edges.weights(), edges.digests(), edges.members()
    basis = GraphBasis.load(options.state) if options.state is not None else None
    mode, reason, changed = _plan(basis, digests, options)
    if not members:
        return GraphBuildReport("empty", "no like or match events", 0, 0, 0, 0, 0, 0, 0, 0.0)
    if mode == "full" or basis is None:
        say(f"factorising {len(members)} members, {len(weights)} edges")
        basis = factorize(weights, members, options.dimension, options.seed, rank=options.rank)
        vectors = _vectors_full(basis)
    else:
        say(f"folding {len(changed)} members into the stored basis")
        vectors = _vectors_folded(basis, weights, changed)
        basis.folded_since_build += len(changed)
    say(f"writing {len(vectors)} graph vectors")
    written, missing = write_vectors(client, vectors)
    basis.digests.update({m: digests[m] for m in (members if mode == "full" else changed)})
    if options.state is not None:
        basis.save(options.state)
    return GraphBuildReport(
        mode=mode,
        reason=reason,
        members=len(members),
        edges=len(weights),
        changed=len(changed),
        written=written,
        missing=missing,
        without_vector=(len(members) if mode == "full" else len(changed)) - len(vectors),
        rank=len(basis.singular_values),
        seconds=round(time.perf_counter() - started, 3),
    )
