"""The Speed Dating experiment loaded into an engine through the product's own path.

Participants are written to a change log (the sync's ``file://`` source) and synced into
``profiles`` by the sync worker, embeddings included; training meetings are recorded as
UBI events. Each participant's training dates form one list (query id
``sd-<iid>-evening``) in date order, so the LTR judgments see ranked lists with positions,
as they would from recommendations. The signals worker then applies every event on a
fixed clock (the evening plus four hours), so decayed counters read the same on any day.
Held-out meetings leave no trace in the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opensearchpy import OpenSearch

from ...artifacts.apply import apply_plan, load_artifacts, make_plan
from ...errors import ConfigError
from ...events import Event, record
from ...signals.worker import SignalsWorker
from ...sync.changelog import ChangeLogWriter
from ...sync.config import load_mapping
from ...sync.embedder import Embedder
from ...sync.sources import FileSource
from ...sync.state import SyncState
from ...sync.worker import SyncWorker, WorkerOptions
from .dataset import Meeting, SpeedDating
from .profiles import events_of, member_id, profile_document

# The evening every wave is replayed on: a fixed date, so a run is reproducible and the
# decayed signals read the same whatever day it is run.
EVENING = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
SIGNALS_READ_AT = EVENING + timedelta(hours=4)


@dataclass(frozen=True)
class SyncedPopulation:
    members: int
    embedded: int
    events: int = 0
    signals_applied: int = 0


def apply_artifacts(client: OpenSearch, root: Path) -> None:
    if not (root / "index_templates").is_dir():
        raise ConfigError(
            f"no index_templates/ under {root.resolve()}: run from the mutuo repository root"
        )
    apply_plan(client, make_plan(client, load_artifacts(root)), lambda _m: None)


def sync_members(
    client: OpenSearch,
    root: Path,
    workdir: Path,
    documents: Iterable[tuple[str, dict[str, object]]],
    embedder: Embedder,
) -> SyncedPopulation:
    """Append the member documents to a change log in ``workdir`` and sync it once."""
    log = workdir / "changes.jsonl"
    with ChangeLogWriter(log) as writer:
        writer.append_many([("insert", doc_id, doc) for doc_id, doc in documents])
    mapping = load_mapping(root / "sync" / "profiles.yaml")
    source = FileSource(log, mapping.collection)
    state = SyncState(workdir / "sync-state", source=source.description, mapping=mapping.name)
    try:
        worker = SyncWorker(client, mapping, source, state, embedder, WorkerOptions(once=True))
        summary = worker.run()
    finally:
        state.close()
    client.indices.refresh(index=mapping.index)
    return SyncedPopulation(summary.totals.indexed, summary.totals.embedded)


def evening_lists(meetings: Sequence[Meeting], events: list[Event]) -> list[Event]:
    """The events with each viewer's impressions placed in their evening list: query id
    ``sd-<iid>-evening`` and the date's rank that night (1-based) as the position."""
    order: dict[tuple[str, str], int] = {}
    dates: dict[str, list[tuple[int, str]]] = {}
    for m in meetings:
        for viewer, partner, number in ((m.a, m.b, m.order_a), (m.b, m.a, m.order_b)):
            dates.setdefault(member_id(viewer), []).append((number or 0, member_id(partner)))
    for member, partners in dates.items():
        for rank, (_number, shown) in enumerate(sorted(partners), start=1):
            order[(member, shown)] = rank
    placed = []
    for e in events:
        if (e.viewer_id, e.target_id) in order:
            e = replace(
                e,
                query_id=f"sd-{e.viewer_id}-evening",
                position=order[(e.viewer_id, e.target_id)],
            )
        placed.append(e)
    return placed


def load_world(
    client: OpenSearch,
    root: Path,
    workdir: Path,
    data: SpeedDating,
    train: Sequence[Meeting],
    embedder: Embedder,
) -> SyncedPopulation:
    """Artifacts applied, every participant synced, the training meetings recorded and
    the signals caught up."""
    apply_artifacts(client, root)
    documents = [
        (member_id(iid), profile_document(p, EVENING))
        for iid, p in sorted(data.participants.items())
    ]
    synced = sync_members(client, root, workdir, documents, embedder)
    events = evening_lists(train, events_of(train, EVENING))
    record(client, events, refresh=True)
    read_at = SIGNALS_READ_AT.timestamp() * 1000.0
    summary = SignalsWorker(client, clock=lambda: read_at).catch_up()
    client.indices.refresh(index="profiles")
    return replace(synced, events=len(events), signals_applied=summary.totals.get("applied", 0))
