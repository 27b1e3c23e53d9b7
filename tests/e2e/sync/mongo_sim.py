"""A tiny MongoDB for one collection, over the real wire protocol (mockupdb).

Enough of mongod for the sync's MongoDB source to run unmodified against it from another
process: ``find`` by ``_id`` range in ``_id`` order, change streams (``aggregate`` with
``$changeStream``, ``getMore``) over an in-memory oplog with resume tokens, post-batch
resume tokens, operation times and ``updateLookup`` (the document as it is when the
event is read). Tests use it to crash the worker mid-backfill and check that the scan
resumes where its checkpoint says. It is the outside world, not code under test.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from bson import Int64, Timestamp
from mockupdb import MockupDB

BASE_TIME = 1_800_000_000


class MongoSim:
    def __init__(self, db: str = "mutuo", collection: str = "members") -> None:
        self.ns = f"{db}.{collection}"
        self.docs: dict[Any, dict[str, Any]] = {}
        self.oplog: list[dict[str, Any]] = []  # change events, in order
        self.finds: list[dict[str, Any]] = []  # every find filter received
        self._cursors: dict[int, int] = {}  # cursor id -> oplog position
        self._next_cursor = 100
        self._lock = threading.Lock()
        self.server = MockupDB(
            auto_ismaster={"maxWireVersion": 21, "logicalSessionTimeoutMinutes": 30}, verbose=False
        )
        self.server.autoresponds(self._handle)

    def start(self) -> str:
        self.server.run()
        return (
            f"mongodb://127.0.0.1:{self.server.port}/{self.ns.split('.')[0]}?directConnection=true"
        )

    def stop(self) -> None:
        self.server.stop()

    # -- writes (each one an oplog entry) ----------------------------------------------

    def write(self, op: str, doc_id: Any, doc: dict[str, Any] | None = None) -> None:
        with self._lock:
            if op == "delete":
                self.docs.pop(doc_id, None)
            else:
                self.docs[doc_id] = {"_id": doc_id, **(doc or {})}
            i = len(self.oplog)
            self.oplog.append(
                {
                    "_id": self._token(i + 1),
                    "operationType": op,
                    "clusterTime": self._ts(i),
                    "wallTime": datetime.fromtimestamp(BASE_TIME + i // 10, tz=UTC),
                    "ns": {"db": self.ns.split(".")[0], "coll": self.ns.split(".")[1]},
                    "documentKey": {"_id": doc_id},
                }
            )

    # -- the wire ------------------------------------------------------------------------

    def _handle(self, request: Any) -> bool:
        if request.command_name.lower() in ("ismaster", "hello"):
            return False  # the handshake: mockupdb's own responder answers it
        with self._lock:
            name = request.command_name
            if name == "find":
                return bool(self._find(request))
            if name == "aggregate":
                return bool(self._aggregate(request))
            if name == "getMore":
                return bool(self._get_more(request))
            if name == "killCursors":
                return bool(
                    request.ok(
                        cursorsKilled=list(request["cursors"]),
                        cursorsNotFound=[],
                        cursorsAlive=[],
                        cursorsUnknown=[],
                    )
                )
            if name in ("endSessions", "ping"):
                return bool(request.ok())
            return bool(request.command_err(code=59, errmsg=f"no such command: {name}"))

    def _find(self, request: Any) -> Any:
        query = dict(request.doc.get("filter") or {})
        self.finds.append(query)
        after = (query.get("_id") or {}).get("$gt")
        ids = sorted(i for i in self.docs if after is None or i > after)[
            : int(request.doc.get("limit") or 0) or None
        ]
        return request.ok(
            cursor={"id": Int64(0), "ns": self.ns, "firstBatch": [self.docs[i] for i in ids]}
        )

    def _aggregate(self, request: Any) -> Any:
        stage = request["pipeline"][0]["$changeStream"]
        if "resumeAfter" in stage:
            position = int(stage["resumeAfter"]["_data"], 16)
        elif "startAtOperationTime" in stage:
            position = max(stage["startAtOperationTime"].inc - 1, 0)
        else:
            position = len(self.oplog)
        cursor = self._next_cursor
        self._next_cursor += 1
        events, self._cursors[cursor] = self._events(
            position, int(request.doc.get("cursor", {}).get("batchSize") or 100)
        )
        return request.ok(
            cursor={
                "id": Int64(cursor),
                "ns": self.ns,
                "firstBatch": events,
                "postBatchResumeToken": self._token(self._cursors[cursor]),
            },
            operationTime=Timestamp(BASE_TIME, len(self.oplog)),
        )

    def _get_more(self, request: Any) -> Any:
        cursor = int(request["getMore"])
        events, self._cursors[cursor] = self._events(
            self._cursors[cursor], int(request.doc.get("batchSize") or 100)
        )
        return request.ok(
            cursor={
                "id": Int64(cursor),
                "ns": self.ns,
                "nextBatch": events,
                "postBatchResumeToken": self._token(self._cursors[cursor]),
            }
        )

    def _events(self, position: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        out = []
        for event in self.oplog[position : position + limit]:
            event = dict(event)
            if event["operationType"] != "delete":
                event["fullDocument"] = self.docs.get(event["documentKey"]["_id"])  # updateLookup
            out.append(event)
        return out, position + len(out)

    @staticmethod
    def _token(position: int) -> dict[str, str]:
        """A resume token: the oplog position just after an event (an event's own token is
        the position after it, as a post-batch token is)."""
        return {"_data": f"{position:016x}"}

    @staticmethod
    def _ts(i: int) -> Timestamp:
        """Event ``i``'s cluster time: later writes get later times than any operation time."""
        return Timestamp(BASE_TIME, i + 1)
