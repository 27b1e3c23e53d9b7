"""Write prepared batches into the index with ``_bulk``, never letting an older change win.

Two write modes (``target.write`` in the sync mapping):

* ``external`` - whole documents with ``version_type=external`` (``external_gte`` for
  deletes): the engine itself refuses a change older than the indexed one (409, counted
  as stale). For indices only the sync writes.
* ``merge`` - for documents other writers update too (profiles: the signals worker
  writes counters, ``taste_vector``, ``blocked_ids``). Whole-document writes would erase
  their fields, and partial updates cannot carry an external version. So the sink reads
  each target's ``source_version`` and ``_seq_no`` (real-time ``_mget``), skips changes not
  newer than the indexed version, and writes with ``if_seq_no``/``if_primary_term``: a
  partial ``update`` of the sync's own fields (the vector only when the text changed), a
  ``create`` for a new member, a ``delete``. A 409 means another writer got in between:
  the sink reads again and retries, so neither writer's update is lost.

Items that fail with 429/5xx or an index write block are retried with exponential
backoff; items the engine refuses as malformed (400) go to the dead-letter index with
the error and the document. A bulk that removes a member from recommendations (a
delete, or a status that is not visible) is sent with ``refresh=true``, so the next
search no longer shows them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from opensearchpy import OpenSearch

from ..errors import MutuoError
from .config import SyncMapping
from .mapping import MappedDoc
from .prepare import DeadLetter, PreparedBatch
from .retry import Backoff, transient_item, transient_request

log = logging.getLogger("mutuo.sync.sink")

MAX_CONFLICT_ROUNDS = 20


class SinkError(MutuoError):
    """The target refuses writes in a way retrying cannot fix (missing alias, bad dead-letter mapping)."""


class Interrupted(MutuoError):
    """Retrying was abandoned because the worker was told to stop immediately."""


@dataclass
class WriteOutcome:
    indexed: int = 0
    deleted: int = 0
    stale: int = 0  # changes not newer than the indexed document (replays): skipped
    dead_letters: int = 0
    retries: int = 0
    conflicts: int = 0  # merge mode: another writer got in between; read again and retried
    requests: int = 0
    dead: list[DeadLetter] = field(default_factory=list)


@dataclass
class _Current:
    seq_no: int
    primary_term: int
    version: int | None
    text_hash: str | None


class Sink:
    def __init__(
        self,
        client: OpenSearch,
        mapping: SyncMapping,
        source: str,
        abort: threading.Event | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.mapping = mapping
        self.source = source
        self.abort = abort or threading.Event()
        self.backoff = backoff or Backoff()

    def write(self, batch: PreparedBatch) -> WriteOutcome:
        out = WriteOutcome()
        refresh = any(d.delete or not d.visible for d in batch.docs)
        pending = list(batch.docs)
        attempt = 0
        while pending:
            if self.mapping.write_mode == "merge":
                pending, transient = self._merge_round(pending, batch, out, refresh)
            else:
                pending, transient = self._external_round(pending, batch, out, refresh)
            if pending:
                attempt += 1
                out.retries += len(pending) if transient else 0
                if transient or attempt > MAX_CONFLICT_ROUNDS:
                    self._sleep(attempt)
        self._dead_letters(batch.dead + out.dead, out)
        return out

    # -- the two modes -----------------------------------------------------------------

    def _external_round(
        self, docs: list[MappedDoc], batch: PreparedBatch, out: WriteOutcome, refresh: bool
    ) -> tuple[list[MappedDoc], bool]:
        actions: list[Any] = []
        for doc in docs:
            meta = self._meta(
                doc.doc_id,
                version=doc.version,
                version_type="external_gte" if doc.delete else "external",
            )
            if doc.delete:
                actions.append({"delete": meta})
            else:
                actions += [{"index": meta}, self._whole(doc, batch)]
        retry: list[MappedDoc] = []
        transient = False
        for doc, (_op, item) in zip(docs, self._bulk(actions, refresh, out), strict=True):
            status = item.get("status", 500)
            if status == 409:
                out.stale += 1
            elif status == 404 and doc.delete:
                out.deleted += 1  # already absent
            elif "error" not in item:
                out.deleted += doc.delete
                out.indexed += not doc.delete
            else:
                transient |= self._failed(doc, item, retry, out)
        return retry, transient

    def _merge_round(
        self, docs: list[MappedDoc], batch: PreparedBatch, out: WriteOutcome, refresh: bool
    ) -> tuple[list[MappedDoc], bool]:
        current = self._current([d.doc_id for d in docs])
        actions: list[Any] = []
        sent: list[MappedDoc] = []
        for doc in docs:
            cur = current.get(doc.doc_id)
            if cur is None and doc.delete:
                out.deleted += 1  # nothing to remove
                continue
            if (
                cur is not None
                and cur.version is not None
                and (cur.version > doc.version or (cur.version == doc.version and not doc.delete))
            ):
                out.stale += 1
                continue
            if cur is None:
                actions += [{"create": self._meta(doc.doc_id)}, self._whole(doc, batch)]
            elif doc.delete:
                actions.append(
                    {
                        "delete": self._meta(
                            doc.doc_id, if_seq_no=cur.seq_no, if_primary_term=cur.primary_term
                        )
                    }
                )
            else:
                meta = self._meta(
                    doc.doc_id, if_seq_no=cur.seq_no, if_primary_term=cur.primary_term
                )
                actions += [{"update": meta}, {"doc": self._partial(doc, batch, cur.text_hash)}]
            sent.append(doc)
        if not actions:
            return [], False
        retry: list[MappedDoc] = []
        transient = False
        for doc, (_op, item) in zip(sent, self._bulk(actions, refresh, out), strict=True):
            status = item.get("status", 500)
            if status == 409:
                out.conflicts += 1
                retry.append(doc)
            elif "error" not in item:
                out.deleted += doc.delete
                out.indexed += not doc.delete
            else:
                transient |= self._failed(doc, item, retry, out)
        return retry, transient

    def _failed(
        self, doc: MappedDoc, item: dict[str, Any], retry: list[MappedDoc], out: WriteOutcome
    ) -> bool:
        """Classify a failed item; True when it is transient (retried after a backoff)."""
        status, error = item.get("status", 500), item.get("error") or {}
        if transient_item(status, error.get("type")):
            retry.append(doc)
            return True
        if status == 404 and error.get("type") == "index_not_found_exception":
            raise SinkError(
                f"the alias {self.mapping.index!r} does not exist: run `mutuo apply` first"
            )
        out.dead.append(
            DeadLetter(
                doc.doc_id,
                doc.version,
                "delete" if doc.delete else "upsert",
                "index",
                str(error.get("type")),
                str(error.get("reason")),
                document=None if doc.delete else doc.fields,
            )
        )
        return False

    # -- documents ---------------------------------------------------------------------

    def _meta(self, doc_id: str, **extra: Any) -> dict[str, Any]:
        return {"_index": self.mapping.index, "_id": doc_id, "require_alias": True, **extra}

    def _whole(self, doc: MappedDoc, batch: PreparedBatch) -> dict[str, Any]:
        body = {k: v for k, v in doc.fields.items() if v is not None}
        body.update(self._bookkeeping(doc))
        embedding = self.mapping.embedding
        h = batch.hashes.get(doc.doc_id)
        if embedding is not None and h is not None:
            body[embedding.field] = batch.vectors[h]  # numpy: the serializer writes it
            body[embedding.hash_field] = h
        return body

    def _partial(
        self, doc: MappedDoc, batch: PreparedBatch, indexed_hash: str | None
    ) -> dict[str, Any]:
        body = dict(doc.fields)  # None clears a field the source no longer has
        body.update(self._bookkeeping(doc))
        embedding = self.mapping.embedding
        h = batch.hashes.get(doc.doc_id)
        if embedding is not None and h != indexed_hash:
            body[embedding.field] = None if h is None else batch.vectors[h]
            body[embedding.hash_field] = h
        return body

    def _bookkeeping(self, doc: MappedDoc) -> dict[str, Any]:
        out: dict[str, Any] = {self.mapping.version_field: doc.version}
        if self.mapping.synced_at_field:
            out[self.mapping.synced_at_field] = int(time.time() * 1000)
        return out

    def _current(self, ids: list[str]) -> dict[str, _Current]:
        """Real-time versions of the targets: source version, text hash, seq_no."""
        embedding = self.mapping.embedding
        fields = [self.mapping.version_field] + ([embedding.hash_field] if embedding else [])
        response = self._request(
            lambda: self.client.mget(
                index=self.mapping.index, body={"ids": ids}, _source_includes=fields
            )
        )
        out: dict[str, _Current] = {}
        for item in response["docs"]:
            if "error" in item:
                error = item["error"]
                if error.get("type") == "index_not_found_exception":
                    raise SinkError(
                        f"the alias {self.mapping.index!r} does not exist: run `mutuo apply` first"
                    )
                raise SinkError(f"cannot read {item.get('_id')} from {self.mapping.index}: {error}")
            if item.get("found"):
                source = item.get("_source", {})
                version = source.get(self.mapping.version_field)
                out[item["_id"]] = _Current(
                    item["_seq_no"],
                    item["_primary_term"],
                    int(version) if version is not None else None,
                    source.get(embedding.hash_field) if embedding else None,
                )
        return out

    # -- requests ----------------------------------------------------------------------

    def _bulk(
        self, actions: list[Any], refresh: bool, out: WriteOutcome
    ) -> list[tuple[str, dict[str, Any]]]:
        out.requests += 1
        response = self._request(
            lambda: self.client.bulk(body=actions, refresh="true" if refresh else "false")
        )
        return [next(iter(item.items())) for item in response["items"]]

    def _request(self, call: Any) -> Any:
        """Run one request, retrying transient failures (429, 5xx, timeouts) with backoff."""
        attempt = 0
        while True:
            try:
                return call()
            except Exception as exc:
                if not transient_request(exc):
                    raise
                attempt += 1
                log.warning("transient failure, retry %d: %s", attempt, exc)
                self._sleep(attempt)

    def _sleep(self, attempt: int) -> None:
        if self.abort.wait(self.backoff.delay(attempt)):
            raise Interrupted(
                "stopped while retrying a write; the batch will be replayed on restart"
            )

    # -- dead letters ------------------------------------------------------------------

    def _dead_letters(self, dead: list[DeadLetter], out: WriteOutcome) -> None:
        if not dead:
            return
        actions: list[Any] = []
        now = int(time.time() * 1000)
        for d in dead:
            key = f"{self.mapping.name}\x00{d.doc_id}\x00{d.version}\x00{d.stage}"
            doc_id = hashlib.sha1(key.encode()).hexdigest()[:20]
            actions += [
                {
                    "index": {
                        "_index": self.mapping.dead_letter_index,
                        "_id": doc_id,
                        "require_alias": True,
                    }
                },
                self._dead_body(d, now),
            ]
        attempt = 0
        while True:
            items = self._bulk(actions, False, out)
            failed = [item for _op, item in items if "error" in item]
            if not failed:
                break
            if not all(
                transient_item(i.get("status", 500), (i.get("error") or {}).get("type"))
                for i in failed
            ):
                raise SinkError(
                    f"the dead-letter index {self.mapping.dead_letter_index!r} refused an entry: {failed[0]['error']}; run `mutuo apply`"
                )
            attempt += 1
            self._sleep(attempt)
        out.dead_letters += len(dead)
        for d in dead:
            log.warning("dead letter: %s v%d at %s: %s", d.doc_id, d.version, d.stage, d.reason)

    def _dead_body(self, d: DeadLetter, now: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@timestamp": now,
            "mapping": self.mapping.name,
            "source": self.source,
            "target_index": self.mapping.index,
            "doc_id": d.doc_id,
            "version": d.version,
            "op": d.op,
            "stage": d.stage,
            "error": {"type": d.error_type, "reason": d.reason},
        }
        if d.document is not None:
            body["document"] = d.document
        if d.raw is not None:
            body["raw"] = d.raw
        return body
