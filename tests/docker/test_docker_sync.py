"""End to end against real services: artifacts applied to OpenSearch 3.x, MongoDB synced
through a change stream (backfill, then live changes), and a mapping change reindexed."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opensearchpy import OpenSearch
from pymongo import MongoClient

import mutuo
from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.demo.population import generate_members
from mutuo.sync.config import load_mapping
from mutuo.sync.embedder import Embedder
from mutuo.sync.sources.mongo import MongoSource
from mutuo.sync.state import SyncState
from mutuo.sync.worker import Progress, SyncWorker, WorkerOptions

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
MONGO = "mongodb://{host}:{port}/mutuo_test?directConnection=true"


@pytest.fixture(scope="session")
def services(docker_services: Any, docker_ip: str) -> dict[str, str]:
    opensearch = f"http://{docker_ip}:{docker_services.port_for('opensearch', 9200)}"
    mongo = MONGO.format(host=docker_ip, port=docker_services.port_for("mongo", 27017))
    return {"opensearch": opensearch, "mongo": mongo}


@pytest.fixture
def cluster(services: dict[str, str]) -> Iterator[OpenSearch]:
    client = mutuo.connect(services["opensearch"])
    client.indices.delete(
        index="profiles-v*,mutuo-deadletter-v*,viewer_state-v*,ubi_*-v*", ignore_unavailable=True
    )
    apply_plan(client, make_plan(client, load_artifacts(ROOT)), lambda _m: None)
    yield client
    client.close()


@pytest.fixture
def members(services: dict[str, str]) -> Iterator[Any]:
    client: MongoClient[Any] = MongoClient(services["mongo"], tz_aware=True)
    collection = client.get_default_database()["members"]
    collection.drop()
    yield collection
    client.close()


def run_worker(
    cluster_url: str,
    mongo_url: str,
    state: Path,
    once: bool,
    stop: threading.Event | None = None,
    caught_up: threading.Event | None = None,
) -> Any:
    mapping = load_mapping(ROOT / "sync" / "profiles.yaml")
    source = MongoSource(mongo_url, mapping.collection)
    sync_state = SyncState(state, source=source.description, mapping=mapping.name)

    def progress(p: Progress) -> None:
        if caught_up is not None and p.caught_up and p.phase == "stream":
            caught_up.set()

    options = WorkerOptions(batch_size=32, once=once, poll_s=0.1)
    worker = SyncWorker(
        mutuo.connect(cluster_url),
        mapping,
        source,
        sync_state,
        Embedder(),
        options,
        on_progress=progress,
    )

    def stop_when_told() -> None:
        if stop is not None:
            stop.wait()
            worker.stop()

    threading.Thread(target=stop_when_told, daemon=True).start()
    try:
        return worker.run()
    finally:
        sync_state.close()
        source.close()


def test_backfill_then_live_changes_reach_real_opensearch(
    cluster: OpenSearch, members: Any, services: dict[str, str], tmp_path: Path
) -> None:
    population = generate_members(50, seed=11)
    members.insert_many([{"_id": m.id, **m.profile} for m in population])
    summary = run_worker(services["opensearch"], services["mongo"], tmp_path / "state", once=True)
    assert summary.totals.indexed == 50
    cluster.indices.refresh(index="profiles")
    assert cluster.count(index="profiles")["count"] == 50
    members.update_one({"_id": population[0].id}, {"$set": {"bio": "Now mostly sailing."}})
    members.delete_one({"_id": population[1].id})
    members.update_one({"_id": population[2].id}, {"$set": {"status": "hidden"}})
    run_worker(services["opensearch"], services["mongo"], tmp_path / "state", once=True)
    assert (
        cluster.get(index="profiles", id=population[0].id)["_source"]["bio"]
        == "Now mostly sailing."
    )
    assert not cluster.exists(index="profiles", id=population[1].id)
    active = cluster.count(index="profiles", body={"query": {"term": {"status": "active"}}})[
        "count"
    ]
    assert active == 48  # refreshed at once: the hidden member is already filtered out


def test_knn_finds_the_member_whose_text_matches(
    cluster: OpenSearch, members: Any, services: dict[str, str], tmp_path: Path
) -> None:
    population = generate_members(30, seed=12)
    members.insert_many([{"_id": m.id, **m.profile} for m in population])
    run_worker(services["opensearch"], services["mongo"], tmp_path / "state", once=True)
    cluster.indices.refresh(index="profiles")
    target = cluster.get(index="profiles", id=population[5].id)["_source"]["profile_vector"]
    hits = cluster.search(
        index="profiles",
        body={"size": 1, "query": {"knn": {"profile_vector": {"vector": target, "k": 1}}}},
    )["hits"]["hits"]
    assert hits[0]["_id"] == population[5].id


def test_a_mapping_change_reindexes_behind_the_alias(
    cluster: OpenSearch, services: dict[str, str], tmp_path: Path
) -> None:
    cluster.index(
        index="viewer_state", id="m1", body={"member_id": "m1", "seen_ids": ["m2"]}, refresh=True
    )
    project = tmp_path / "project"
    for folder in ("index_templates", "sync"):
        shutil.copytree(ROOT / folder, project / folder)
    path = project / "index_templates" / "viewer_state.json"
    path.write_text(
        path.read_text().replace(
            '"member_id": {"type": "keyword"},',
            '"member_id": {"type": "keyword"}, "muted_ids": {"type": "keyword"},',
        )
    )
    apply_plan(cluster, make_plan(cluster, load_artifacts(project)), lambda _m: None)
    assert list(cluster.indices.get_alias(name="viewer_state")) == ["viewer_state-v2"]
    assert cluster.get(index="viewer_state", id="m1")["_source"]["seen_ids"] == ["m2"]
    cluster.index(index="viewer_state", id="m2", body={"member_id": "m2", "muted_ids": ["m9"]})


def test_the_worker_follows_the_stream_until_stopped(
    cluster: OpenSearch, members: Any, services: dict[str, str], tmp_path: Path
) -> None:
    stop, streaming = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(
            services["opensearch"],
            services["mongo"],
            tmp_path / "state",
            False,
            stop,
            streaming,
        ),
    )
    thread.start()
    member = generate_members(1, seed=13)[0]
    assert streaming.wait(120)  # model loaded, empty collection backfilled, stream open
    members.insert_one({"_id": member.id, **member.profile})
    deadline = time.time() + 60
    while time.time() < deadline and not cluster.exists(index="profiles", id=member.id):
        time.sleep(0.5)
    stop.set()
    thread.join(60)
    assert cluster.exists(index="profiles", id=member.id)
