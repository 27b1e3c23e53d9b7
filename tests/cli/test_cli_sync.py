"""The sync commands as a user runs them: demo, sync run, sync status."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mutuo.cli.app import cli
from mutuo.demo.changelog import write_population
from mutuo.sync.changelog import ChangeLogWriter
from mutuo.sync.state import read_checkpoint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for folder in ("index_templates", "sync"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_write_population_does_not_duplicate_members(tmp_path: Path) -> None:
    log = tmp_path / "changes.jsonl"
    assert write_population(log, 5) == 5
    assert write_population(log, 5) == 0
    assert len(log.read_text().splitlines()) == 5


def test_apply_then_sync_run_then_status(project: Path) -> None:
    runner = CliRunner()
    url = f"embedded://{project / 'engine'}"
    write_population(project / ".mutuo/changes.jsonl", 12)
    assert runner.invoke(cli, ["--opensearch-url", url, "apply"]).exit_code == 0
    result = runner.invoke(
        cli, ["--opensearch-url", url, "sync", "run", "--once", "--json", "--silent"]
    )
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)
    assert first["totals"]["indexed"] == 12 and first["totals"]["embedded"] == 12
    with ChangeLogWriter(project / ".mutuo/changes.jsonl") as writer:
        writer.append("delete", "m000003")
    result = runner.invoke(
        cli, ["--opensearch-url", url, "sync", "run", "--once", "--json", "--silent"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (
        summary["run_changes"] == 1
        and summary["totals"]["deleted"] == 1
        and summary["totals"]["indexed"] == 12
    )
    status = json.loads(runner.invoke(cli, ["sync", "status", "--json"]).output)
    assert (
        status["running"] is False and status["phase"] == "stream" and status["caught_up"] is True
    )
    assert status["backlog_bytes"] == 0 and status["errors"]["dead_letters"] == 0


def test_sync_run_refuses_an_unknown_source(project: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--opensearch-url",
            "embedded://:memory:",
            "sync",
            "run",
            "--source",
            "kafka://x",
            "--once",
        ],
    )
    assert result.exit_code != 0 and "unknown sync source" in str(result.exception)


def test_sigterm_drains_checkpoints_and_exits_cleanly(project: Path) -> None:
    """The worker process, following the log, stops on SIGTERM with everything read
    acknowledged and checkpointed."""
    log, state = project / ".mutuo/changes.jsonl", project / ".mutuo/sync/profiles"
    write_population(log, 30)
    engine = f"embedded://{project / 'engine'}"
    assert CliRunner().invoke(cli, ["--opensearch-url", engine, "apply"]).exit_code == 0
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    code = "import sys; from mutuo.cli import main; sys.argv = ['mutuo', *sys.argv[1:]]; main()"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "--opensearch-url",
            engine,
            "sync",
            "run",
            "--silent",
            "--batch-size",
            "8",
        ],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while (read_checkpoint(state) or {}).get("position", {}).get("offset") != log.stat().st_size:
        assert proc.poll() is None and time.monotonic() < deadline, "the worker did not catch up"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert b"stopped: 30 changes" in out
    assert read_checkpoint(state)["stats"]["totals"]["indexed"] == 30
