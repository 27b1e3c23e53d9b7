"""Crash tests: kill -9 the worker at random moments, restart it, and require the index to
equal the source (every live document at its newest version, every deleted one gone,
every unreadable change in the dead-letter index).

Each seed draws a history of inserts, edits (with and without new text), status flips,
deletes, re-inserts, unmappable documents and broken lines, and a moment to kill the
worker: ``backfill`` seeds kill it while it works through a log written beforehand;
``streaming`` seeds kill it while it follows a log still being written, and keep writing
while it is down. The worker runs the real model in its own process, with small batches
so kills land before, inside and after bulks and checkpoints.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mongo_sim import BASE_TIME, MongoSim
from sync_oracle import assert_index_matches, expected_state

import mutuo
from conftest import ROOT, apply_artifacts
from mutuo.demo.population import generate_members
from mutuo.sync.changelog import ChangeLogWriter
from mutuo.sync.changes import Change
from mutuo.sync.config import load_mapping
from mutuo.sync.mapping import Mapper
from mutuo.sync.state import read_checkpoint

FAST_SEEDS = [("streaming", 2)]  # each seed starts the model twice: the many seeds are `slow`
SLOW_SEEDS = [("backfill", s) for s in range(101, 112)] + [
    ("streaming", s) for s in range(201, 212)
]


class History:
    """A seeded stream of changes over a small population."""

    def __init__(self, seed: int, log: Path) -> None:
        self.rng = random.Random(seed)
        self.pool = {m.id: m.profile for m in generate_members(60, seed=seed)}
        self.live: set[str] = set()
        self.writer = ChangeLogWriter(log)
        self.log = log

    def step(self) -> None:
        rng, ids = self.rng, sorted(self.pool)
        doc_id = rng.choice(ids)
        profile = dict(self.pool[doc_id])
        roll = rng.random()
        if doc_id not in self.live or roll < 0.1:
            self.writer.append("insert", doc_id, profile)
            self.live.add(doc_id)
        elif roll < 0.35:
            profile["bio"] = (
                f"{profile['bio']} Also {rng.choice(['jazz', 'chess', 'surfing', 'poetry'])}."
            )
            self.pool[doc_id] = profile
            self.writer.append("update", doc_id, profile)
        elif roll < 0.55:
            profile["last_active_at"] = (
                f"2026-11-{rng.randint(10, 28)}T{rng.randint(0, 23):02d}:00:00Z"
            )
            self.pool[doc_id] = profile
            self.writer.append("replace", doc_id, profile)
        elif roll < 0.7:
            profile["status"] = rng.choice(["active", "hidden", "paused", "deleted"])
            self.writer.append("update", doc_id, profile)
        elif roll < 0.8:
            self.writer.append("delete", doc_id)
            self.live.discard(doc_id)
        elif roll < 0.88:
            self.writer.append("update", doc_id, {**profile, "location": {"lat": 95.0, "lon": 1.0}})
        elif roll < 0.93:
            self.writer.append("update", doc_id, {**profile, "birthdate": "not a date"})
        else:
            with self.log.open("ab") as f:
                f.write(
                    b'{"op": "update", "id": "' + doc_id.encode() + b'", "version": 1, "doc": \n'
                )

    def close(self) -> None:
        self.writer.close()


def worker(
    engine: Path, log: Path, state: Path, once: bool, source: str | None = None
) -> subprocess.Popen[bytes]:
    """A worker process on ``source`` (default: the log); stderr goes to ``worker-N.log``."""
    args = [
        "--opensearch-url",
        f"embedded://{engine}",
        "sync",
        "run",
        "--source",
        source or f"file://{log}",
        "--mapping",
        str(ROOT / "sync" / "profiles.yaml"),
        "--state",
        str(state),
        "--batch-size",
        "6",
        "--silent",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    code = "import sys; from mutuo.cli import main; sys.argv = ['mutuo', *sys.argv[1:]]; main()"
    logs = sorted(state.parent.glob("worker-*.log"))
    with (state.parent / f"worker-{len(logs)}.log").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-c", code, *args, *(["--once"] if once else [])],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def offset(state: Path) -> int:
    try:
        checkpoint = read_checkpoint(state)
    except Exception:  # the file is replaced atomically, but be lenient with a reader race
        return 0
    return int((checkpoint or {}).get("position", {}).get("offset", 0))


def kill_when(
    proc: subprocess.Popen[bytes], state: Path, threshold: int, delay: float, on_wait: object = None
) -> bool:
    """kill -9 once the checkpoint passes ``threshold`` bytes (plus ``delay`` s); False
    when the worker finished first."""
    deadline = time.monotonic() + 300
    while offset(state) < threshold:
        if proc.poll() is not None:
            return False
        if callable(on_wait):
            on_wait()
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.02)
    time.sleep(delay)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def finish(proc: subprocess.Popen[bytes], tmp: Path) -> None:
    proc.wait(timeout=600)
    log = sorted(tmp.glob("worker-*.log"))[-1]
    assert proc.returncode == 0, log.read_text()[-3000:]


def run_and_kill(
    kind: str, history: History, engine: Path, log: Path, state: Path, rng: random.Random, tmp: Path
) -> tuple[bool, int]:
    """Write the history, start the worker, kill -9 it at a random point (streaming: keep
    writing while it runs and while it is down); (killed, checkpoint offset at the kill)."""
    for _ in range(120 if kind == "backfill" else 40):
        history.step()
    size = log.stat().st_size
    proc = worker(engine, log, state, once=kind == "backfill")
    writes = {"n": 0}

    def keep_writing() -> None:
        if kind == "streaming" and writes["n"] < 60 and rng.random() < 0.3:
            history.step()
            writes["n"] += 1

    killed = kill_when(
        proc, state, int(size * rng.uniform(0.05, 0.9)), rng.uniform(0, 0.4), keep_writing
    )
    if not killed:
        finish(proc, tmp)
    at = offset(state)
    for _ in range(30 if kind == "streaming" else 0):
        history.step()
    return killed, at


def crash_and_recover(kind: str, seed: int, tmp: Path) -> dict[str, object]:
    rng = random.Random(seed * 7919)
    engine, log, state = tmp / "engine", tmp / "changes.jsonl", tmp / "state"
    client = mutuo.connect(f"embedded://{engine}")
    apply_artifacts(client)
    client.close()
    history = History(seed, log)
    try:
        killed, at = run_and_kill(kind, history, engine, log, state, rng, tmp)
    finally:
        history.close()
    finish(worker(engine, log, state, once=True), tmp)
    mapping = load_mapping(ROOT / "sync" / "profiles.yaml")
    client = mutuo.connect(f"embedded://{engine}")
    try:
        expected = expected_state(log, mapping)
        assert_index_matches(client, expected, mapping)
    finally:
        client.close()
    return {
        "kind": kind,
        "seed": seed,
        "killed": killed,
        "killed_at_offset": at,
        "log_bytes": log.stat().st_size,
        "live": len(expected.live),
        "deleted": len(expected.deleted),
        "dead_letters": len(expected.dead),
    }


@pytest.mark.parametrize(("kind", "seed"), FAST_SEEDS)
def test_kill_9_then_restart_leaves_the_index_equal_to_the_source(
    kind: str, seed: int, tmp_path: Path
) -> None:
    result = crash_and_recover(kind, seed, tmp_path)
    assert result["killed"], "the worker finished before the kill: the test checked nothing"


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "seed"), SLOW_SEEDS)
def test_kill_9_at_random_moments_many_seeds(kind: str, seed: int, tmp_path: Path) -> None:
    result = crash_and_recover(kind, seed, tmp_path)
    print(json.dumps(result))
    assert result["killed"], "the worker finished before the kill: the test checked nothing"


# -- MongoDB: crash in the middle of a backfill's collection scan --------------------------

MONGO_FAST_SEEDS = [31]
MONGO_SLOW_SEEDS = [32, 33, 34, 35]


def mongo_worker(engine: Path, uri: str, state: Path) -> subprocess.Popen[bytes]:
    return worker(engine, Path(uri), state, once=True, source=uri)


def scanned(state: Path) -> int:
    """Documents scanned so far by the checkpointed backfill; -1 once it is streaming."""
    try:
        checkpoint = read_checkpoint(state)
    except Exception:  # replaced atomically, but be lenient with a reader race
        return 0
    if checkpoint is None:
        return 0
    position = checkpoint.get("position") or {}
    return int(position.get("scanned", 0)) if position.get("phase") == "scan" else -1


def mongo_crash_and_recover(seed: int, tmp: Path) -> dict[str, object]:
    """kill -9 during the scan while the collection keeps changing; the restart must
    resume the scan after the checkpointed _id and replay the stream from its start."""
    rng = random.Random(seed)
    engine, state = tmp / "engine", tmp / "state"
    client = mutuo.connect(f"embedded://{engine}")
    apply_artifacts(client)
    client.close()
    sim = MongoSim()
    uri = sim.start()
    try:
        population = generate_members(150, seed=seed)
        for m in population:
            sim.write("insert", m.id, m.profile)
        sim.write(
            "update", population[3].id, {**population[3].profile, "location": {"lat": 95, "lon": 0}}
        )
        proc = mongo_worker(engine, uri, state)
        threshold = rng.randint(6, 120)
        deadline = time.monotonic() + 300
        while scanned(state) < threshold and scanned(state) != -1 and proc.poll() is None:
            assert time.monotonic() < deadline, "the worker made no progress"
            time.sleep(0.01)
        killed = proc.poll() is None and scanned(state) != -1
        if killed:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        else:
            finish(proc, tmp)
        at = scanned(state)
        finds_before = len(sim.finds)
        for m in rng.sample(population, 20):  # the collection changes while the worker is down
            roll = rng.random()
            if roll < 0.4:
                sim.write("update", m.id, {**m.profile, "bio": m.profile["bio"] + " And kayaking."})
            elif roll < 0.7:
                sim.write("delete", m.id)
            else:
                sim.write("update", m.id, {**m.profile, "status": "hidden"})
        finish(mongo_worker(engine, uri, state), tmp)
        resumed_from = sim.finds[finds_before] if len(sim.finds) > finds_before else None
        expected_live = {doc_id: doc for doc_id, doc in sim.docs.items()}
    finally:
        sim.stop()
    mapping = load_mapping(ROOT / "sync" / "profiles.yaml")
    mapper = Mapper(mapping)
    client = mutuo.connect(f"embedded://{engine}")
    try:
        client.indices.refresh(index="profiles")
        hits = client.search(index="profiles", body={"size": 1000})["hits"]["hits"]
        indexed = {h["_id"]: h["_source"] for h in hits}
        bad = population[3].id
        assert set(indexed) == set(expected_live) - {bad} | ({bad} if bad in indexed else set())
        for doc_id, doc in expected_live.items():
            if doc_id == bad:
                continue
            fields = mapper.map(Change("replace", doc_id, 1, doc, float(BASE_TIME))).fields
            for name in ("bio", "status", "headline"):
                assert indexed[doc_id][name] == fields[name], (doc_id, name)
    finally:
        client.close()
    return {
        "kind": "mongo-backfill",
        "seed": seed,
        "killed": killed,
        "scanned_at_kill": at,
        "resumed_find": str(resumed_from),
        "live": len(expected_live),
    }


def test_a_backfill_killed_mid_scan_resumes_after_its_last_id(tmp_path: Path) -> None:
    result = mongo_crash_and_recover(MONGO_FAST_SEEDS[0], tmp_path)
    assert result["killed"], "the scan finished before the kill: the test checked nothing"
    assert "$gt" in str(result["resumed_find"])  # the restart did not rescan from the start


@pytest.mark.slow
@pytest.mark.parametrize("seed", MONGO_SLOW_SEEDS)
def test_mongo_backfill_kill_9_many_seeds(seed: int, tmp_path: Path) -> None:
    result = mongo_crash_and_recover(seed, tmp_path)
    print(json.dumps(result))
    assert result["killed"] and "$gt" in str(result["resumed_find"])
