"""``mutuo serve``: the same engine over real HTTP on localhost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from opensearchpy import NotFoundError

import mutuo

SRC = Path(mutuo.__file__).resolve().parents[1]


@contextmanager
def serving(engine_path: str) -> Iterator[str]:
    """A ``mutuo serve`` process on an ephemeral port; yields its base URL, then stops it."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    command = ["serve", "--data", engine_path, "--host", "127.0.0.1", "--port", "0"]
    process = subprocess.Popen(
        [sys.executable, "-c", "from mutuo.cli import main; main()", *command],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    with process.stdout:
        line = process.stdout.readline()
        try:
            assert "http://127.0.0.1:" in line, line
            yield line.strip().rsplit(" ", 1)[-1]
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0  # stopped cleanly, engine closed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(str(tmp_path_factory.mktemp("served") / "engine")) as url:
        yield url


def http(method: str, url: str, body: object = None) -> tuple[int, dict[str, str], bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_opensearch_py_over_http(server: str) -> None:
    client = mutuo.connect(server)
    try:
        assert client.info()["version"]["distribution"] == "opensearch"
        client.indices.create(
            index="people", body={"mappings": {"properties": {"n": {"type": "keyword"}}}}
        )
        client.bulk(
            body='{"index": {"_index": "people", "_id": "1"}}\n{"n": "ann"}\n', refresh=True
        )
        assert client.get(index="people", id="1")["_source"] == {"n": "ann"}
        assert client.count(index="people")["count"] == 1
        with pytest.raises(NotFoundError):
            client.get(index="people", id="2")
        assert client.indices.exists(index="people") is True
    finally:
        client.close()


def test_raw_http_requests(server: str) -> None:
    status, headers, body = http("PUT", f"{server}/raw/_doc/1?refresh=true", {"n": 1})
    assert status == 201 and json.loads(body)["result"] == "created"
    assert headers["content-type"].startswith("application/json")
    status, _, body = http("GET", f"{server}/_cluster/health")
    assert status == 200 and json.loads(body)["number_of_nodes"] == 1
    status, _, body = http("GET", f"{server}/missing/_doc/1")
    assert status == 404 and json.loads(body)["error"]["type"] == "index_not_found_exception"
    status, _, body = http("HEAD", f"{server}/raw")
    assert (status, body) == (200, b"")
    status, _, body = http("DELETE", f"{server}/people/_search")
    assert status == 405
    status, _, body = http("GET", f"{server}/_cat/indices/raw?h=index,docs.count")
    assert body.decode().split() == ["raw", "1"]


def test_writes_over_http_are_there_after_the_server_stops(engine_path: str) -> None:
    with serving(engine_path) as url:
        assert http("PUT", f"{url}/people/_doc/1", {"n": 1})[0] == 201
    client = mutuo.connect(f"embedded://{engine_path}")  # the server released the path
    try:
        assert client.get(index="people", id="1")["_source"] == {"n": 1}
    finally:
        client.close()
