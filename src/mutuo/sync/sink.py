"""Write prepared batches into the index with ``_bulk``, never letting an older change win.

Two write modes (``target.write`` in the sync mapping):

* ``external`` - whole documents with ``version_type=external`` (``external_gte`` for
  deletes): the engine itself refuses a change older than the indexed one (409, counted
  as stale). For indices only the sync writes.
* ``merge`` - for documents other writers update too (profiles: the signals worker
  writes counters, ``taste_vector``, ``blocked_ids``). Whole-document writes would erase
  their fields, and partial updates cannot carry an external version. So the sink reads
  each target's ``source_version`` and ``_seq_no`` (real-time ``_mget``, or what its own
  last write of that document returned: :mod:`.known`), skips changes not newer than
  the indexed version (read, never guessed), and writes with
  ``if_seq_no``/``if_primary_term``: a
  partial ``update`` of the sync's own fields that changed since its last write of the
  document (:mod:`.trimmed`; the vector only when the text changed), a ``create`` for a
  new member, a ``delete``. A 409 means another writer got in between:
  the sink reads again and retries, so neither writer's update is lost.

Items that fail with 429/5xx or an index write block are retried with exponential
backoff; items the engine refuses as malformed (400) go to the dead-letter index with
the error and the document. A bulk that removes a member from recommendations (a
delete, or a status that is not visible) is sent with ``refresh=true``, so the next
search no longer shows them.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from opensearchpy import NotFoundError, OpenSearch

from ..errors import MutuoError
from . import bodies, trimmed
from .config import SyncMapping
from .known import Current, KnownDocs
from .mapping import MappedDoc
from .prepare import DeadLetter, PreparedBatch
from .retry import Backoff, transient_item, transient_request

log = logging.getLogger("mutuo.sync.sink")

MAX_CONFLICT_ROUNDS = 20

_dumps = functools.partial(orjson.dumps, option=orjson.OPT_SERIALIZE_NUMPY)


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
    took_ms: int = 0  # what the engine reports it spent on the bulks ("took")
    body_bytes: int = 0  # the bulk bodies sent (trimmed updates keep them small)
    read_seconds: float = 0.0  # merge mode: reading targets' versions (_mget)
    dead: list[DeadLetter] = field(default_factory=list)


Item = tuple[str, dict[str, Any]]


class Sink:
    def __init__(
        self,
        client: OpenSearch,
        mapping: SyncMapping,
        source: str,
        abort: threading.Event | None = None,
        backoff: Backoff | None = None,
        known: KnownDocs | None = None,
    ) -> None:
        self.client = client
        self.mapping = mapping
        self.source = source
        self.abort = abort or threading.Event()
        self.backoff = backoff or Backoff()
        self.known = known or KnownDocs()
        self._target: str | None = None  # the concrete index ``known`` describes

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

    # -- external mode -----------------------------------------------------------------

    def _external_round(
        self, docs: list[MappedDoc], batch: PreparedBatch, out: WriteOutcome, refresh: bool
    ) -> tuple[list[MappedDoc], bool]:
        actions: list[Any] = []
        batch.load_vectors(batch.hashes[d.doc_id] for d in docs if d.doc_id in batch.hashes)
        now_ms = int(time.time() * 1000)
        for doc in docs:
            kind = "external_gte" if doc.delete else "external"
            meta = bodies.meta(self.mapping, doc.doc_id, version=doc.version, version_type=kind)
            if doc.delete:
                actions.append({"delete": meta})
            else:
                actions += [{"index": meta}, bodies.whole(self.mapping, doc, batch, now_ms)]
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

    # -- merge mode --------------------------------------------------------------------

    def _merge_round(
        self, docs: list[MappedDoc], batch: PreparedBatch, out: WriteOutcome, refresh: bool
    ) -> tuple[list[MappedDoc], bool]:
        if self._target is None and self.known.persistent:
            self._scope_known()
        actions, sent, fingerprints = self._merge_actions(docs, batch, out)
        if not actions:
            return [], False
        retry: list[MappedDoc] = []
        transient = False
        items = self._bulk(actions, refresh, out)
        if self._target is not None and any(
            "error" not in i and i.get("_index") != self._target for _op, i in items
        ):
            self._scope_known()  # the alias moved: what was known describes another index
        for doc, fingerprint, (_op, item) in zip(sent, fingerprints, items, strict=True):
            if "error" in item or item.get("status", 500) >= 300:
                self.known.forget(doc.doc_id)
            if item.get("status") == 409:
                out.conflicts += 1
                retry.append(doc)
            elif "error" not in item:
                out.deleted += doc.delete
                out.indexed += not doc.delete
                self._learn(doc, item, batch, fingerprint)
            else:
                transient |= self._failed(doc, item, retry, out)
        return retry, transient

    def _merge_actions(
        self, docs: list[MappedDoc], batch: PreparedBatch, out: WriteOutcome
    ) -> tuple[list[Any], list[MappedDoc], list[bytes | None]]:
        """The conditional writes for the documents that need one (stale changes and
        deletes of absent documents need none), and the fingerprint of each written
        document's owned fields."""
        current = self._current(docs, out)
        batch.load_vectors(
            h
            for d in docs
            if (h := batch.hashes.get(d.doc_id)) is not None and h != current[d.doc_id].text_hash
        )
        now_ms = int(time.time() * 1000)
        actions: list[Any] = []
        sent: list[MappedDoc] = []
        fingerprints: list[bytes | None] = []
        for doc in docs:
            cur = current[doc.doc_id]
            skip = _skip(doc, cur)
            if skip == "absent":
                out.deleted += 1  # nothing to remove
                continue
            if skip == "stale":
                out.stale += 1
                continue
            fingerprint = None if doc.delete else trimmed.fingerprint(doc.fields)
            if not cur.exists:
                body = bodies.whole(self.mapping, doc, batch, now_ms)
                actions += [{"create": bodies.meta(self.mapping, doc.doc_id)}, body]
            else:
                cas = {"if_seq_no": cur.seq_no, "if_primary_term": cur.primary_term}
                meta = bodies.meta(self.mapping, doc.doc_id, **cas)
                if doc.delete:
                    actions.append({"delete": meta})
                else:
                    fields = trimmed.changed_fields(doc.fields, fingerprint, cur.written)
                    body = bodies.partial(self.mapping, doc, fields, batch, cur.text_hash, now_ms)
                    actions += [{"update": meta}, {"doc": body}]
            sent.append(doc)
            fingerprints.append(fingerprint)
        return actions, sent, fingerprints

    def _learn(
        self, doc: MappedDoc, item: dict[str, Any], batch: PreparedBatch, written: bytes | None
    ) -> None:
        if doc.delete:
            self.known.put(doc.doc_id, Current(False))
            return
        h = batch.hashes.get(doc.doc_id) if self.mapping.embedding else None
        seq_no, term = item["_seq_no"], item["_primary_term"]
        self.known.put(doc.doc_id, Current(True, seq_no, term, doc.version, h, written))

    def _current(self, docs: list[MappedDoc], out: WriteOutcome) -> dict[str, Current]:
        """Each target as the index holds it: from the last write's response when the sink
        made it, else read in real time (one ``_mget`` for the rest). A known entry that
        would skip the change is read again: only conditional writes rest on a guess."""
        found = self.known.get_many(d.doc_id for d in docs)
        unknown = [d.doc_id for d in docs if d.doc_id not in found or _skip(d, found[d.doc_id])]
        if unknown:
            started = time.perf_counter()
            found.update(self._read(unknown))
            out.read_seconds += time.perf_counter() - started
        return found

    def _read(self, ids: list[str]) -> dict[str, Current]:
        embedding = self.mapping.embedding
        fields = [self.mapping.version_field] + ([embedding.hash_field] if embedding else [])
        body = {"ids": ids}
        response = self._request(
            lambda: self.client.mget(index=self.mapping.index, body=body, _source_includes=fields)
        )
        out: dict[str, Current] = {}
        for item in response["docs"]:
            if "error" in item:
                error = item["error"]
                if error.get("type") == "index_not_found_exception":
                    raise SinkError(
                        f"the alias {self.mapping.index!r} does not exist: run `mutuo apply` first"
                    )
                raise SinkError(f"cannot read {item.get('_id')} from {self.mapping.index}: {error}")
            if not item.get("found"):
                out[item["_id"]] = Current(False)
                continue
            source = item.get("_source", {})
            version = source.get(self.mapping.version_field)
            text_hash = source.get(embedding.hash_field) if embedding else None
            out[item["_id"]] = Current(
                True,
                item["_seq_no"],
                item["_primary_term"],
                None if version is None else int(version),
                text_hash,
            )
        return out

    def _scope_known(self) -> None:
        """Tie ``known`` to the concrete index behind the alias (by uuid), so entries
        learnt about another index, before a restart or an alias move, are never used."""
        try:
            settings = self._request(
                lambda: self.client.indices.get_settings(
                    index=self.mapping.index, name="index.uuid"
                )
            )
        except NotFoundError:
            return  # no alias yet: the first write reports it
        if len(settings) != 1:
            return  # several indices: entries stay in memory only, as without a state
        ((name, body),) = settings.items()
        self._target = name
        self.known.scope(str(body["settings"]["index"]["uuid"]))

    # -- failures, requests ------------------------------------------------------------

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
        document = None if doc.delete else doc.source
        out.dead.append(
            DeadLetter(
                doc.doc_id,
                doc.version,
                "delete" if doc.delete else "upsert",
                "index",
                str(error.get("type")),
                str(error.get("reason")),
                document=document,
            )
        )
        return False

    def _bulk(self, actions: list[Any], refresh: bool, out: WriteOutcome) -> list[Item]:
        out.requests += 1
        body = self._ndjson(actions)
        out.body_bytes += len(body)
        response = self._request(
            lambda: self.client.bulk(body=body, refresh="true" if refresh else "false")
        )
        out.took_ms += int(response.get("took", 0))
        return [next(iter(item.items())) for item in response["items"]]

    def _ndjson(self, actions: list[Any]) -> bytes:
        """The bulk body, serialised here in one pass (the client passes bytes through)."""
        try:
            return b"".join([_dumps(a) + b"\n" for a in actions])
        except TypeError:  # a value orjson cannot write (an integer beyond 64 bits...)
            dumps = self.client.transport.serializer.dumps
            return "".join([dumps(a) + "\n" for a in actions]).encode("utf-8", "surrogatepass")

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

    def _dead_letters(self, dead: list[DeadLetter], out: WriteOutcome) -> None:
        if not dead:
            return
        now = int(time.time() * 1000)
        actions: list[Any] = []
        for d in dead:
            meta = {
                "_index": self.mapping.dead_letter_index,
                "_id": bodies.dead_letter_id(self.mapping, d),
                "require_alias": True,
            }
            actions += [{"index": meta}, bodies.dead_letter(self.mapping, self.source, d, now)]
        attempt = 0
        while True:
            failed = [item for _op, item in self._bulk(actions, False, out) if "error" in item]
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


def _skip(doc: MappedDoc, cur: Current) -> str | None:
    """Why a change needs no write: ``absent`` (a delete of a missing document),
    ``stale`` (not newer than the indexed version), or None (write it)."""
    if not cur.exists:
        return "absent" if doc.delete else None
    newer = cur.version is None or doc.version > cur.version
    if newer or (doc.delete and doc.version == cur.version):
        return None
    return "stale"
