"""The demo: a synthetic marketplace through the whole product, step by step.

1. ``apply``: install the artifacts (index templates, templates, feature sets) as
   ``mutuo apply`` does;
2. ``members``: generate members (:mod:`.population`, hidden traits from
   :mod:`mutuo.simulation.world`), append them to the change log and sync it (embeddings);
3. ``simulate``: a few days of behaviour through the real event path, the signals worker
   catching up on simulated time after every quarter day (:mod:`mutuo.simulation`);
4. ``graph``: ``mutuo graph build`` over the like/match graph;
5. ``ltr``: judgments from the logged lists and events, features as served (``ltr_log``),
   XGBoost ``rank:ndcg``, upload and promotion (:mod:`.ltr`);
6. ``showcase``: explained recommendations for a cold member (just joined, no history)
   and a warm one (the most likes given), ranked by the promoted model.

Everything goes through an opensearch-py client from :func:`mutuo.connect`, so the same
demo runs on the embedded engine (the default) and on a real cluster.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from ..artifacts.apply import apply_plan, load_artifacts, make_plan
from ..errors import MutuoError
from ..graph import GraphBuildOptions, build_graph
from ..ltr.registry import ModelRegistry
from ..simulation import Onboarding, Policy, RecommenderPolicy, generate_world, simulate
from ..sync.embedder import Embedder
from .ltr import train_and_promote
from .showcase import showcase

INDEX = "profiles"
DEMO_INDICES = ("profiles-v*", "viewer_state-v*", "ubi_events-v*", "ubi_queries-v*")


@dataclass(frozen=True)
class DemoOptions:
    members: int = 1500
    days: int = 2
    seed: int = 7
    k: int = 10
    arrival_share: float = 0.1
    root: Path = Path(".")
    directory: Path = Path(".mutuo") / "demo"


@dataclass
class DemoReport:
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_day: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    showcase: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "per_day": self.per_day,
            "metrics": self.metrics,
            "showcase": self.showcase,
            "seconds": self.seconds,
        }


def reset(client: OpenSearch, directory: Path) -> None:
    """Delete what a previous demo left: its indices, and its state under ``directory``
    except an embedded engine's data kept there (the indices were just deleted through it)
    and the sync's embedding cache (the same texts are never embedded twice)."""
    for pattern in DEMO_INDICES:
        client.indices.delete(index=pattern, ignore_unavailable=True, allow_no_indices=True)
    if not directory.is_dir():
        return
    for child in directory.iterdir():
        if child.name == "engine":
            continue
        if child.name == "sync" and child.is_dir():
            for part in child.iterdir():
                if not part.name.startswith("embeddings.sqlite"):
                    _remove(part)
            continue
        _remove(child)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def ensure_empty(client: OpenSearch) -> None:
    if client.indices.exists(index=INDEX) and client.count(index=INDEX)["count"]:
        raise MutuoError(
            "the cluster already holds profiles; run `mutuo demo --reset` to delete the "
            "demo's indices (profiles, viewer_state, ubi_*) first, or use another cluster"
        )


class Steps:
    """Times each step and keeps its summary."""

    def __init__(self, report: DemoReport, on_step: Callable[[str, dict[str, Any]], None]):
        self.report, self.on_step = report, on_step

    def done(self, name: str, started: float, summary: dict[str, Any]) -> None:
        summary = {**summary, "seconds": round(time.perf_counter() - started, 2)}
        self.report.steps[name] = summary
        self.on_step(name, summary)


def run_demo(
    client: OpenSearch,
    options: DemoOptions | None = None,
    embedder: Embedder | None = None,
    policy: Policy | None = None,
    on_step: Callable[[str, dict[str, Any]], None] | None = None,
    on_day: Callable[[dict[str, Any]], None] | None = None,
) -> DemoReport:
    """Run every step on ``client`` (which must hold no profiles yet)."""
    options = options or DemoOptions()
    report = DemoReport()
    steps = Steps(report, on_step or (lambda _n, _s: None))
    begin = time.perf_counter()
    ensure_empty(client)

    started = time.perf_counter()
    plan = make_plan(client, load_artifacts(options.root))
    applied = apply_plan(client, plan, lambda _m: None)
    steps.done("apply", started, {"artifacts": len(plan), "changed": applied})

    started = time.perf_counter()
    world = generate_world(options.members, options.days, options.arrival_share, options.seed)
    onboarding = Onboarding(client, options.root, options.directory, embedder)
    try:
        onboarding.add(world.initial())
        steps.done(
            "members",
            started,
            {
                "synced": len(onboarding.synced),
                "embedded": onboarding.embedded,
                "from_cache": onboarding.cache_hits,
            },
        )
        started = time.perf_counter()
        log = simulate(
            client,
            world,
            options.days,
            policy or RecommenderPolicy(),
            options.seed,
            onboarding,
            on_day=on_day,
        )
    finally:
        onboarding.close()
    report.per_day, report.metrics = log.per_day, log.metrics()
    steps.done(
        "simulate",
        started,
        {
            "days": options.days,
            "requests": log.requests,
            "arrivals": len(onboarding.synced) - len(world.initial()),
            **dict(log.actions),
            "signals_events": log.signals.get("applied", 0),
        },
    )

    started = time.perf_counter()
    graph = build_graph(client, GraphBuildOptions(state=options.directory / "graph", full=True))
    steps.done(
        "graph",
        started,
        {
            "members": graph.members,
            "edges": graph.edges,
            "rank": graph.rank,
            "written": graph.written,
            "outside_rank": graph.without_vector,
        },
    )

    started = time.perf_counter()
    registry = ModelRegistry(options.directory / "ltr_models")
    name = f"mutuo-people-demo-{options.seed}"
    steps.done("ltr", started, train_and_promote(client, registry, name))

    started = time.perf_counter()
    report.showcase = showcase(client, world, registry, options.k)
    steps.done("showcase", started, {"viewers": len(report.showcase)})
    report.seconds = round(time.perf_counter() - begin, 2)
    return report
