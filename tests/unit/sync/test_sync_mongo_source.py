"""The MongoDB source at the wire level, against mockupdb's scripted server.

The test thread plays mongod: it receives each command the source sends (aggregate,
getMore, find) and answers it, while the source runs in a background thread. This checks
what goes over the wire (resume tokens, the scan's ``_id`` bounds) and what comes out.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from bson import Int64, ObjectId, Timestamp, json_util
from mockupdb import MockupDB
from pymongo import MongoClient

from mutuo.errors import SourceError
from mutuo.sync.changes import ChangeBatch, timestamp_version
from mutuo.sync.sources import ReadOptions
from mutuo.sync.sources.mongo import MongoSource

CURSOR = Int64(42)


@pytest.fixture
def server() -> Iterator[MockupDB]:
    mock = MockupDB(
        auto_ismaster={"maxWireVersion": 21, "logicalSessionTimeoutMinutes": 30}, verbose=False
    )
    mock.autoresponds(_housekeeping)
    mock.run()
    yield mock
    mock.stop()


def _housekeeping(request: Any) -> bool:
    """Answer what a client sends on its own (closing cursors and sessions)."""
    if request.command_name == "killCursors":
        return bool(
            request.ok(
                cursorsKilled=list(request["cursors"]),
                cursorsNotFound=[],
                cursorsAlive=[],
                cursorsUnknown=[],
            )
        )
    if request.command_name == "endSessions":
        return bool(request.ok())
    return False


class Consumer:
    """Runs ``MongoSource.read`` in a thread; batches (or the error) arrive on a queue."""

    def __init__(
        self, server: MockupDB, position: dict[str, Any] | None, batch_size: int = 2
    ) -> None:
        client: MongoClient[Any] = MongoClient(
            server.uri + "/app", tz_aware=True, directConnection=True, serverSelectionTimeoutMS=5000
        )
        self.source = MongoSource(server.uri + "/app", "members", client=client)
        self.out: queue.Queue[Any] = queue.Queue()
        self.stop = threading.Event()
        options = ReadOptions(batch_size=batch_size, once=True, poll_s=0.01)
        self.thread = threading.Thread(target=self._run, args=(position, options), daemon=True)
        self.thread.start()

    def _run(self, position: dict[str, Any] | None, options: ReadOptions) -> None:
        try:
            for batch in self.source.read(position, self.stop, options):
                self.out.put(batch)
        except Exception as exc:
            self.out.put(exc)
        self.out.put(None)

    def results(self) -> list[Any]:
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the source did not finish"
        items = []
        while (item := self.out.get_nowait()) is not None:
            items.append(item)
        self.source.close()
        return items


def event(
    op: str, doc_id: Any, t: int, inc: int = 1, doc: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_id": {"_data": f"T{t}.{inc}"},
        "operationType": op,
        "clusterTime": Timestamp(t, inc),
        "ns": {"db": "app", "coll": "members"},
        "documentKey": {"_id": doc_id},
    }
    if op != "delete":
        out["fullDocument"] = doc if doc is not None else {"_id": doc_id, "bio": f"v{t}"}
    return out


def stream_reply(
    request: Any, events: list[dict[str, Any]], first: bool, idle_token: str = "idle"
) -> None:
    token = events[-1]["_id"] if events else {"_data": idle_token}
    request.ok(
        cursor={
            "id": CURSOR,
            "ns": "app.members",
            "firstBatch" if first else "nextBatch": events,
            "postBatchResumeToken": token,
        }
    )


def receive(server: MockupDB, name: str) -> Any:
    request = server.receives(timeout=10)
    assert request.command_name == name, request
    return request


def test_backfill_records_the_stream_start_scans_by_id_then_replays_from_the_start(
    server: MockupDB,
) -> None:
    consumer = Consumer(server, None)
    start = receive(server, "aggregate")  # opened only to learn where the stream starts
    assert start["pipeline"] == [{"$changeStream": {"fullDocument": "updateLookup"}}]
    start.ok(
        cursor={
            "id": Int64(0),
            "ns": "app.members",
            "firstBatch": [],
            "postBatchResumeToken": {"_data": "T100.1"},
        },
        operationTime=Timestamp(100, 1),
    )
    first = receive(server, "find")
    assert first["filter"] == {} and first["sort"] == {"_id": 1} and first["limit"] == 2
    first.ok(
        cursor={
            "id": Int64(0),
            "ns": "app.members",
            "firstBatch": [{"_id": 1, "bio": "a"}, {"_id": 2, "bio": "b"}],
        }
    )
    second = receive(server, "find")
    assert second["filter"] == {"_id": {"$gt": 2}}
    second.ok(cursor={"id": Int64(0), "ns": "app.members", "firstBatch": [{"_id": 3, "bio": "c"}]})
    receive(server, "find").ok(cursor={"id": Int64(0), "ns": "app.members", "firstBatch": []})
    stream = receive(server, "aggregate")
    assert stream["pipeline"][0]["$changeStream"] == {
        "fullDocument": "updateLookup",
        "resumeAfter": {"_data": "T100.1"},
    }
    stream_reply(stream, [event("update", 2, 101), event("delete", 3, 102)], first=True)
    stream_reply(receive(server, "getMore"), [], first=False, idle_token="T102.9")
    batches = consumer.results()
    assert all(isinstance(b, ChangeBatch) for b in batches)
    scan_version = timestamp_version(100, 1)
    assert batches[0].changes == [] and batches[0].position["stream_start"] == {
        "resume_after": {"_data": "T100.1"}
    }
    scanned = [(c.doc_id, c.version) for b in batches if b.phase == "scan" for c in b.changes]
    assert scanned == [("1", scan_version), ("2", scan_version), ("3", scan_version)]
    streamed = [
        (c.op, c.doc_id, c.version) for b in batches if b.phase == "stream" for c in b.changes
    ]
    assert streamed == [
        ("update", "2", timestamp_version(101, 1)),
        ("delete", "3", timestamp_version(102, 1)),
    ]
    # caught up: the checkpoint moves to the server's post-batch resume token
    assert batches[-1].position == {"phase": "stream", "resume_token": {"_data": "T102.9"}}


def test_an_interrupted_scan_resumes_after_the_last_checkpointed_id(server: MockupDB) -> None:
    last = ObjectId("64b7f0c2a1b2c3d4e5f60718")
    position = {
        "phase": "scan",
        "stream_start": {"resume_after": {"_data": "T9.1"}},
        "scan_version": timestamp_version(9, 1),
        "scan_time": 9,
        "last_id": json_util.dumps(last, json_options=json_util.CANONICAL_JSON_OPTIONS),
        "scanned": 500,
    }
    consumer = Consumer(server, position)
    find = receive(server, "find")
    assert find["filter"] == {"_id": {"$gt": last}}
    nxt = ObjectId("64b7f0c2a1b2c3d4e5f60719")
    find.ok(cursor={"id": Int64(0), "ns": "app.members", "firstBatch": [{"_id": nxt}]})
    receive(server, "find").ok(cursor={"id": Int64(0), "ns": "app.members", "firstBatch": []})
    stream = receive(server, "aggregate")
    assert stream["pipeline"][0]["$changeStream"]["resumeAfter"] == {"_data": "T9.1"}
    stream_reply(stream, [], first=True)
    stream_reply(receive(server, "getMore"), [], first=False)
    batches = consumer.results()
    assert [c.doc_id for b in batches for c in b.changes] == [str(nxt)]
    assert batches[0].position["scanned"] == 501


def test_the_stream_resumes_from_the_last_event_after_a_dropped_connection(
    server: MockupDB,
) -> None:
    consumer = Consumer(
        server, {"phase": "stream", "resume_token": {"_data": "T1.1"}}, batch_size=10
    )
    first = receive(server, "aggregate")
    assert first["pipeline"][0]["$changeStream"]["resumeAfter"] == {"_data": "T1.1"}
    stream_reply(first, [event("insert", "a", 2)], first=True)
    receive(server, "getMore").hangup()  # the connection drops mid-stream
    again = receive(server, "aggregate")
    assert again["pipeline"][0]["$changeStream"]["resumeAfter"] == {"_data": "T2.1"}
    stream_reply(again, [event("insert", "b", 3)], first=True)
    stream_reply(receive(server, "getMore"), [], first=False)
    batches = consumer.results()
    assert [c.doc_id for b in batches for c in b.changes] == ["a", "b"]


def test_changes_of_one_transaction_are_never_split_across_batches(server: MockupDB) -> None:
    consumer = Consumer(
        server, {"phase": "stream", "resume_token": {"_data": "T1.1"}}, batch_size=2
    )
    events = [
        event("insert", "a", 7),
        event("insert", "b", 7),
        event("insert", "c", 7),
        event("insert", "d", 8),
    ]
    stream_reply(receive(server, "aggregate"), events, first=True)
    stream_reply(receive(server, "getMore"), [], first=False)
    batches = [b for b in consumer.results() if b.changes]
    assert [[c.doc_id for c in b.changes] for b in batches] == [["a", "b", "c"], ["d"]]
    assert batches[0].position == {"phase": "stream", "resume_token": {"_data": "T7.1"}}


def test_an_update_whose_document_is_gone_waits_for_its_delete(server: MockupDB) -> None:
    consumer = Consumer(
        server, {"phase": "stream", "resume_token": {"_data": "T1.1"}}, batch_size=10
    )
    gone = event("update", "a", 5)
    gone["fullDocument"] = None
    stream_reply(receive(server, "aggregate"), [gone, event("delete", "a", 6)], first=True)
    stream_reply(receive(server, "getMore"), [], first=False)
    changes = [c for b in consumer.results() for c in b.changes]
    assert [(c.op, c.doc_id) for c in changes] == [("delete", "a")]


def test_an_invalidated_stream_applies_what_came_before_then_stops(server: MockupDB) -> None:
    consumer = Consumer(
        server, {"phase": "stream", "resume_token": {"_data": "T1.1"}}, batch_size=10
    )
    invalidate = {
        "_id": {"_data": "T9.2"},
        "operationType": "invalidate",
        "clusterTime": Timestamp(9, 2),
    }
    stream_reply(
        receive(server, "aggregate"),
        [event("insert", "a", 9), {**event("drop", "x", 9), "operationType": "drop"}, invalidate],
        first=True,
    )
    results = consumer.results()
    assert [c.doc_id for c in results[0].changes] == ["a"]
    assert isinstance(results[-1], SourceError) and "backfill" in str(results[-1])


def test_a_resume_point_gone_from_the_oplog_asks_for_a_backfill(server: MockupDB) -> None:
    consumer = Consumer(server, {"phase": "stream", "resume_token": {"_data": "T1.1"}})
    receive(server, "aggregate").command_err(
        code=286,
        errmsg="Resume of change stream was not possible, as the resume point may no longer be in the oplog.",
    )
    results = consumer.results()
    assert isinstance(results[-1], SourceError) and "mutuo sync backfill" in str(results[-1])


def test_when_the_driver_cannot_resume_the_source_reconnects_from_its_own_position(
    server: MockupDB,
) -> None:
    consumer = Consumer(
        server, {"phase": "stream", "resume_token": {"_data": "T1.1"}}, batch_size=10
    )
    stream_reply(receive(server, "aggregate"), [event("insert", "a", 2)], first=True)
    receive(server, "getMore").hangup()
    # the driver's own resume attempts (it resumes once, and retries the read once) all fail
    attempts = 0
    while (reopened := receive(server, "aggregate"))["pipeline"][0]["$changeStream"][
        "resumeAfter"
    ] == {"_data": "T2.1"}:
        attempts += 1
        reopened.hangup()
    assert 1 <= attempts <= 3
    # the source then backs off and reopens the stream itself: "a" was read but never
    # handed over, so it resumes from its last batch's position and reads "a" again
    assert reopened["pipeline"][0]["$changeStream"]["resumeAfter"] == {"_data": "T1.1"}
    stream_reply(reopened, [event("insert", "a", 2), event("insert", "b", 3)], first=True)
    stream_reply(receive(server, "getMore"), [], first=False)
    assert [c.doc_id for b in consumer.results() for c in b.changes] == ["a", "b"]
