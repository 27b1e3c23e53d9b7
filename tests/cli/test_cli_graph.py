"""``mutuo graph build`` from the command line: JSON report, full then incremental."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.cli.app import cli
from mutuo.events import Event, record

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 22, tzinfo=UTC)


def test_graph_build_reports_a_full_then_an_incremental_build(
    client: OpenSearch, engine_path: str, tmp_path: Path
) -> None:
    apply_plan(client, make_plan(client, load_artifacts(ROOT)), lambda _m: None)
    ids = [f"u{i}" for i in range(6)]
    body: list[dict[str, Any]] = []
    for member in ids:
        body += [{"create": {"_index": "profiles", "_id": member}}, {"status": "active"}]
    client.bulk(body=body, refresh=True)
    record(client, [Event(a, "like", b, T0) for a in ids[:3] for b in ids[3:]])

    def build() -> dict[str, Any]:
        argv = ["--opensearch-url", f"embedded://{engine_path}", "graph", "build"]
        result = CliRunner().invoke(cli, [*argv, "--state", str(tmp_path / "g"), "--json"])
        assert result.exit_code == 0, result.output
        payload: dict[str, Any] = json.loads(result.output)
        return payload

    first = build()
    assert (first["mode"], first["members"], first["edges"], first["written"]) == (
        "full",
        6,
        9,
        6,
    )
    second = build()
    assert (second["mode"], second["changed"], second["written"]) == ("incremental", 0, 0)
