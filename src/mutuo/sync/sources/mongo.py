"""``mongodb://...``: a MongoDB change stream, with a backfill that loses nothing.

Backfill (no checkpoint, or ``mutuo sync backfill``):

1. open a change stream and record where it starts (its post-batch resume token, and the
   operation time, which becomes the version of every scanned document);
2. scan the collection in ``_id`` order, in batches; the checkpoint after each batch
   holds the last ``_id``, so a crash resumes the scan where it stopped;
3. resume the stream from the recorded start: every change made during the scan is
   replayed on top of the scanned documents (the newer version wins), so nothing is
   missed and nothing older survives.

Streaming uses ``fullDocument: updateLookup`` and resumes from the checkpointed resume
token. Changes that share a cluster time (one transaction) are never split across
batches. A dropped connection is retried with backoff from the last change read; a
resume token the oplog no longer holds, or an invalidated stream (collection dropped
or renamed), stops the worker with what to do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bson import Timestamp, json_util
from pymongo import MongoClient
from pymongo.errors import ConfigurationError, OperationFailure, PyMongoError

from ...errors import SourceError
from ..changes import Change, ChangeBatch, doc_id_of, timestamp_version
from .base import ReadOptions

log = logging.getLogger("mutuo.sync.mongo")

_FATAL_CODES = {
    286: "the resume point is no longer in the oplog (the worker was stopped longer than the oplog window)",
    280: "the change stream failed fatally",
}
_END_EVENTS = {"invalidate", "drop", "dropDatabase", "rename"}
IDLE_CHECKPOINT_S = 60.0


def redact(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.password is None and parts.username is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


class MongoSource:
    def __init__(self, uri: str, collection: str, client: MongoClient[Any] | None = None) -> None:
        self.description = redact(uri)
        self.client: MongoClient[Any] = client or MongoClient(uri, tz_aware=True)
        try:
            database = self.client.get_default_database()
        except ConfigurationError:
            raise SourceError(
                f"{self.description}: name the database in the URI, e.g. mongodb://host:27017/app?replicaSet=rs0"
            ) from None
        self.collection = database[collection]

    def backfill_position(self) -> dict[str, Any]:
        return {"phase": "backfill"}

    def progress(self, position: dict[str, Any] | None) -> tuple[int, int | None]:
        scanned = int((position or {}).get("scanned", 0))
        if (position or {}).get("phase") == "scan":
            return scanned, self.collection.estimated_document_count()
        return scanned, None

    def close(self) -> None:
        self.client.close()

    def read(
        self, position: dict[str, Any] | None, stop: threading.Event, options: ReadOptions
    ) -> Iterator[ChangeBatch]:
        position = position or self.backfill_position()
        if position.get("phase") == "backfill":
            position = self.start_backfill()
            yield ChangeBatch([], position, phase="scan")  # checkpoint the recorded start
        if position.get("phase") == "scan":
            yield from self._scan(position, stop, options)
            if stop.is_set():
                return
            position = {"phase": "stream", "start": position["stream_start"]}
        yield from self._stream(position, stop, options)

    # -- backfill ----------------------------------------------------------------------

    def start_backfill(self) -> dict[str, Any]:
        """Open a change stream to learn where it starts, before scanning anything."""
        with (
            self.client.start_session() as session,
            self.collection.watch(full_document="updateLookup", session=session) as stream,
        ):
            token = stream.resume_token
            op_time = session.operation_time
        if op_time is None:
            raise SourceError(
                f"{self.description} reported no operation time; a replica set (or sharded cluster) is required for change streams"
            )
        start = (
            {"resume_after": token} if token else {"at_operation_time": [op_time.time, op_time.inc]}
        )
        return {
            "phase": "scan",
            "stream_start": start,
            "scan_version": timestamp_version(op_time.time, op_time.inc),
            "scan_time": op_time.time,
            "last_id": None,
            "scanned": 0,
        }

    def _scan(
        self, position: dict[str, Any], stop: threading.Event, options: ReadOptions
    ) -> Iterator[ChangeBatch]:
        version, at = int(position["scan_version"]), float(position["scan_time"])
        last_id = None if position.get("last_id") is None else json_util.loads(position["last_id"])
        scanned = int(position.get("scanned", 0))
        while not stop.is_set():
            query = {} if last_id is None else {"_id": {"$gt": last_id}}
            docs = list(
                self.collection.find(
                    query,
                    sort=[("_id", 1)],
                    limit=options.batch_size,
                    batch_size=options.batch_size,
                )
            )
            if not docs:
                return
            changes = [Change("replace", doc_id_of(d["_id"]), version, d, at) for d in docs]
            last_id, scanned = docs[-1]["_id"], scanned + len(docs)
            next_position = {
                **position,
                "last_id": json_util.dumps(last_id, json_options=json_util.CANONICAL_JSON_OPTIONS),
                "scanned": scanned,
            }
            yield ChangeBatch(
                changes, next_position, caught_up=len(docs) < options.batch_size, phase="scan"
            )

    # -- streaming ---------------------------------------------------------------------

    def _stream(
        self, position: dict[str, Any], stop: threading.Event, options: ReadOptions
    ) -> Iterator[ChangeBatch]:
        delay = 0.1
        while not stop.is_set():
            try:
                for batch in self._watch(position, stop, options):
                    position = batch.position
                    delay = 0.1
                    yield batch
                return
            except OperationFailure as exc:
                if exc.code in _FATAL_CODES:
                    raise SourceError(
                        f"{self.description}: {_FATAL_CODES[exc.code]}; run `mutuo sync backfill` to rebuild the index from the collection"
                    ) from None
                if not exc.has_error_label("ResumableChangeStreamError"):
                    raise SourceError(f"{self.description}: change stream failed: {exc}") from None
                log.warning("change stream error, resuming in %.1fs: %s", delay, exc)
            except PyMongoError as exc:
                log.warning("MongoDB unavailable, resuming in %.1fs: %s", delay, exc)
            stop.wait(delay)
            delay = min(delay * 2, 30.0)

    @staticmethod
    def _watch_options(position: dict[str, Any], options: ReadOptions) -> dict[str, Any]:
        """Where a stream resumes: the checkpointed token, else the backfill's start."""
        kwargs: dict[str, Any] = {
            "full_document": "updateLookup",
            "batch_size": options.batch_size,
            "max_await_time_ms": max(1, int(options.poll_s * 1000)),
        }
        start = position.get("start") or {}
        if position.get("resume_token"):
            kwargs["resume_after"] = position["resume_token"]
        elif start.get("resume_after"):
            kwargs["resume_after"] = start["resume_after"]
        elif start.get("at_operation_time"):
            kwargs["start_at_operation_time"] = Timestamp(*start["at_operation_time"])
        return kwargs

    def _watch(
        self, position: dict[str, Any], stop: threading.Event, options: ReadOptions
    ) -> Iterator[ChangeBatch]:
        with self.collection.watch(**self._watch_options(position, options)) as stream:
            pending: list[Change] = []
            token: Any = position.get("resume_token")
            # Idle moments checkpoint the server's post-batch token now and then: a quiet
            # collection must not leave the checkpoint behind the oplog window.
            announced = float("-inf")
            while not stop.is_set():
                event = stream.try_next()
                if event is None:
                    token = stream.resume_token or token
                    idle_due = time.monotonic() - announced >= IDLE_CHECKPOINT_S
                    if pending or options.once or idle_due:
                        announced = time.monotonic()
                        yield ChangeBatch(
                            pending, {"phase": "stream", "resume_token": token}, caught_up=True
                        )
                        pending = []
                    if options.once:
                        return
                    continue
                change = self._change(event)
                if (
                    pending
                    and len(pending) >= options.batch_size
                    and (change is None or change.version != pending[-1].version)
                ):
                    yield ChangeBatch(pending, {"phase": "stream", "resume_token": token})
                    pending = []
                if event["operationType"] in _END_EVENTS:
                    if pending:
                        yield ChangeBatch(pending, {"phase": "stream", "resume_token": token})
                    raise self._ended(event["operationType"])
                token = stream.resume_token
                if change is not None:
                    pending.append(change)

    def _ended(self, operation: str) -> SourceError:
        return SourceError(
            f"{self.description}: the change stream ended ({operation} of the collection); the "
            "index keeps its documents. Run `mutuo sync backfill` once the collection exists again"
        )

    @staticmethod
    def _change(event: dict[str, Any]) -> Change | None:
        op = event.get("operationType")
        if op not in ("insert", "update", "replace", "delete"):
            return None
        cluster_time = event["clusterTime"]
        version = timestamp_version(cluster_time.time, cluster_time.inc)
        wall = event.get("wallTime")
        at = wall.timestamp() if wall is not None else float(cluster_time.time)
        doc_id = doc_id_of(event["documentKey"]["_id"])
        if op == "delete":
            return Change("delete", doc_id, version, None, at)
        document = event.get("fullDocument")
        if document is None:  # updated, then deleted before the lookup: a delete follows
            return None
        return Change(op, doc_id, version, document, at)
