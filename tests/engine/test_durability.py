"""Durability: acknowledged writes survive ``kill -9``; one writer process per data path."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import mutuo
from mutuo.engine.errors import EngineLockedError

HERE = Path(__file__).resolve().parent
SRC = Path(mutuo.__file__).resolve().parents[1]
State = dict[str, tuple[int, Any]]  # id -> (version, source or None when deleted)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return env


def read_log(log: Path) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    intents: dict[int, list[dict[str, Any]]] = {}
    acks: dict[int, list[dict[str, Any]]] = {}
    if not log.exists():
        return intents, acks
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # a line cut by the kill
            continue
        if "intent" in entry:
            intents[entry["intent"]] = entry["ops"]
        else:
            acks[entry["ack"]] = entry["items"]
    return intents, acks


def apply(state: State, ops: list[dict[str, Any]]) -> State:
    out = dict(state)
    for op in ops:
        out[op["id"]] = (op["version"], op.get("source") if op["op"] == "index" else None)
    return out


def stored_state(path: str, ids: set[str]) -> tuple[State, int]:
    client = mutuo.connect(f"embedded://{path}")
    try:
        if not client.indices.exists(index="crash"):
            return {}, 0
        docs = client.mget(index="crash", body={"ids": sorted(ids)})["docs"]
        state = {d["_id"]: (d["_version"], d["_source"]) for d in docs if d["found"]}
        return state, client.count(index="crash")["count"]
    finally:
        client.close()


def live(state: State) -> State:
    return {k: v for k, v in state.items() if v[1] is not None}


@pytest.mark.parametrize(
    "seed", [1, 2, 3, *(pytest.param(s, marks=pytest.mark.slow) for s in range(4, 16))]
)
def test_acknowledged_bulk_items_survive_kill_9(tmp_path: Path, seed: int) -> None:
    path, log = str(tmp_path / "engine"), tmp_path / "acks.jsonl"
    rng = random.Random(seed)
    wanted_acks = rng.randint(3, 25)
    child = subprocess.Popen(
        [sys.executable, str(HERE / "crash_writer.py"), path, str(seed), str(log)],
        env=child_env(),
    )
    try:
        deadline = time.monotonic() + 120
        while len(read_log(log)[1]) < wanted_acks:
            assert child.poll() is None, "the writer died on its own"
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.005)
        time.sleep(rng.random() * 0.05)  # land somewhere inside the next bulk
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    intents, acks = read_log(log)
    acked = sorted(acks)
    assert acked == list(range(len(acked)))  # acknowledged in order, no gaps
    before: State = {}
    for batch in acked:
        for op, item in zip(intents[batch], acks[batch], strict=True):
            assert item["version"] == op["version"]  # acknowledged at the version sent
        before = apply(before, intents[batch])
    in_flight = len(acked)
    after = apply(before, intents[in_flight]) if in_flight in intents else before
    ids = {op["id"] for ops in intents.values() for op in ops}
    state, count = stored_state(path, ids)
    assert state in (live(before), live(after)), "a bulk was half-written or an ack was lost"
    assert count == len(state)  # the searchable structures were rebuilt to match


def test_a_second_process_gets_a_lock_error_naming_the_holder(tmp_path: Path) -> None:
    path = str(tmp_path / "engine")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, mutuo; c = mutuo.connect(sys.argv[1]); c.info(); "
            "print('ready', flush=True); sys.stdin.read(); c.close()",
            f"embedded://{path}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(EngineLockedError) as info:
            mutuo.connect(f"embedded://{path}")
        assert f"pid {holder.pid}" in info.value.reason
        assert "mutuo serve" in info.value.reason
        cli = subprocess.run(
            [sys.executable, "-c", "from mutuo.cli import main; main()", "serve", "--data", path],
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=60,
        )
        assert cli.returncode == 1
        assert cli.stderr.startswith("error: engine_locked_exception:")
        assert f"pid {holder.pid}" in cli.stderr
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.wait(timeout=60)
        holder.stdout.close()
    client = mutuo.connect(f"embedded://{path}")  # the lock went with the holder
    assert client.info()["version"]["distribution"] == "opensearch"
    client.close()


def test_state_is_rebuilt_from_the_store_on_reopen(engine_path: str) -> None:
    client = mutuo.connect(f"embedded://{engine_path}")
    client.indices.create(
        index="people",
        body={"mappings": {"properties": {"name": {"type": "keyword"}}}, "aliases": {"p": {}}},
    )
    client.index(index="people", id="1", body={"name": "ann", "n": 1})
    client.index(index="people", id="2", body={"name": "bea"})
    client.delete(index="people", id="2")
    client.indices.put_index_template(name="t", body={"index_patterns": ["t-*"], "priority": 3})
    client.close()
    reopened = mutuo.connect(f"embedded://{engine_path}")
    try:
        doc = reopened.get(index="p", id="1")
        assert (doc["_version"], doc["_seq_no"], doc["_source"]) == (1, 0, {"name": "ann", "n": 1})
        mapping = reopened.indices.get_mapping(index="people")["people"]["mappings"]
        assert mapping["properties"]["n"] == {"type": "long"}  # the dynamic field persisted
        assert reopened.count(index="people")["count"] == 1
        assert reopened.index(index="people", id="3", body={"name": "c"})["_seq_no"] == 3
        assert reopened.indices.get_index_template(name="t")["index_templates"][0]["name"] == "t"
    finally:
        reopened.close()
