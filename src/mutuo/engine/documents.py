"""Document writes: index, create, delete and partial update, batched into one commit.

A :class:`WriteBatch` checks each operation against the version map, parses the document
with the index mapping (dynamic fields included), records it, and commits every row of
the batch in one SQLite transaction: a ``_bulk`` of 1,000 items is one fsync-free commit,
and nothing is acknowledged before it. If the commit itself fails, the in-memory state
is rebuilt from the store so it never holds unacknowledged writes.
"""

from __future__ import annotations

import base64
import copy
import difflib
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import codec
from .codec import JsonParseError
from .errors import (
    ActionRequestValidationError,
    DocumentMissingError,
    IllegalArgumentError,
    MapperParsingError,
    OpenSearchError,
    RoutingMissingError,
)
from .index import PRIMARY_TERM, Index, Versioning
from .partial_update import Reuse, merge_patch, reusable_members, same_json
from .source_filter import filter_source
from .store import DocRow
from .stored_source import StoredSource, rebuild, split

if TYPE_CHECKING:
    from .engine import Engine


def auto_id() -> str:
    """A 20-character URL-safe id, like OpenSearch's time-based UUIDs."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:20]


def parse_source(raw: bytes, loads: codec.Loads = codec.loads) -> Any:
    """A document body as sent; unparseable JSON fails the way indexing it fails."""
    try:
        return loads(raw)
    except JsonParseError as err:
        raise MapperParsingError("failed to parse", caused_by=err) from None


def check_routing(index: Index, doc_id: str, v: Versioning) -> None:
    if v.routing is None and index.mapping.routing_required:
        raise RoutingMissingError(index.name, doc_id)


def check_pipeline(index: Index, requested: str | None) -> None:
    """Refuse writes that name an ingest pipeline: the embedded engine has none.

    OpenSearch answers a missing pipeline with this error, so a request that relies on a
    pipeline never silently indexes the unprocessed document.
    """
    pipeline = requested or index.settings.get("index.default_pipeline")
    for name in (pipeline, index.settings.get("index.final_pipeline")):
        if name and name != "_none":
            raise IllegalArgumentError(f"pipeline with id [{name}] does not exist")


class WriteBatch:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.rows: dict[str, list[DocRow]] = {}
        self.latest: dict[tuple[str, str], DocRow] = {}  # (index, id) -> this batch's last row
        self.indices: dict[str, Index] = {}
        self.mapping_changed: set[str] = set()
        self.stored: dict[tuple[str, str], StoredSource] = {}  # (index, id) -> prefetched
        # per index, what its settings give (they cannot change while a batch runs): the
        # _shards header, and whether the write blocks let documents be written
        self._shards: dict[str, dict[str, int]] = {}
        self._writable: set[str] = set()

    # -- operations ------------------------------------------------------------------

    def index(
        self,
        index: Index,
        doc_id: str | None,
        source: Any,
        v: Versioning,
        raw: bytes | None = None,
    ) -> dict[str, Any]:
        """Index ``source``; ``raw`` is its JSON exactly as sent, stored as ``_source``."""
        self._check_writable(index)
        if doc_id is None:
            if v.version_type != "internal" or v.if_seq_no is not None:
                raise ActionRequestValidationError(
                    "an id must be provided if version type or value are set"
                )
            doc_id = auto_id()
        elif doc_id == "":
            raise IllegalArgumentError("if _id is specified it must not be empty")
        if len(doc_id.encode()) > 512:
            raise ActionRequestValidationError(
                f"id [{doc_id}] is too long, must be no longer than 512 bytes but was: {len(doc_id.encode())}"
            )
        if not isinstance(source, dict):
            raise OpenSearchError(
                "failed to parse",
                status=400,
                error_type="mapper_parsing_exception",
                caused_by=IllegalArgumentError("document must be a JSON object"),
            )
        check_routing(index, doc_id, v)
        version = index.check(doc_id, v)
        state = index.current(doc_id)
        created = state is None or state.deleted
        return self._record(index, doc_id, version, created, source, v, raw, None, None, None)

    def _record(
        self,
        index: Index,
        doc_id: str,
        version: int,
        created: bool,
        source: dict[str, Any],
        v: Versioning,
        raw: bytes | None,
        replaced: StoredSource | None,
        reuse: Reuse | None,
        kept: StoredSource | None,
    ) -> dict[str, Any]:
        """Parse and record a checked write: ``raw``, the source's JSON as sent;
        ``replaced``, the stored source this write overwrites when the caller has just
        read it from the store (searches keep seeing it until the next refresh);
        ``reuse``, members indexed as an earlier ordinal has them (:func:`reusable_members`);
        ``kept``, the stored form when the caller made it (``source`` then leaves out the
        cut vectors, which ``reuse`` names)."""
        if reuse is None:
            parsed = self._parse(index, source, doc_id)
        else:
            parsed = self._parse(index, {k: source[k] for k in reuse.plan.parsed}, doc_id)
        if not index.mapping.source_enabled:
            stored = StoredSource(b"{}")
        elif kept is not None:
            stored = kept
        else:
            stored = split(codec.dumps(source) if raw is None else raw, source, index.mapping)
        row = index.record_write(
            doc_id,
            version,
            stored,
            parsed,
            v.routing,
            replaced,
            None if reuse is None else (reuse.ordinal, reuse.plan.fields),
        )
        self._add(index, row)
        return self._result(
            index, row, "created" if created else "updated", 201 if created else 200
        )

    def delete(self, index: Index, doc_id: str, v: Versioning) -> dict[str, Any]:
        index.check_write_block(is_delete=True)
        check_routing(index, doc_id, v)
        state = index.current(doc_id)
        exists = state is not None and not state.deleted
        version = index.check(doc_id, v)
        if v.version_type == "internal" and not exists:
            version = 1 if state is None else state.version + 1
        row = index.record_delete(doc_id, version, v.routing)
        self._add(index, row)
        return self._result(
            index, row, "deleted" if exists else "not_found", 200 if exists else 404
        )

    def update(
        self,
        index: Index,
        doc_id: str,
        body: dict[str, Any],
        v: Versioning,
        source_spec: tuple[bool, list[str], list[str]] | None,
    ) -> dict[str, Any]:
        """A partial update (``doc``), or an upsert when the document does not exist."""
        check_update_body(body)
        self._check_writable(index)
        if v.version_type != "internal":
            raise ActionRequestValidationError(
                f"version type [{v.version_type}] is not supported by the update API"
            )
        if "script" in body:
            raise IllegalArgumentError(
                "script updates are not supported by the embedded engine (no Painless); send a "
                "partial [doc] instead"
            )
        state = index.current(doc_id)
        if state is None or state.deleted:
            source = self._upsert_source(index, doc_id, body)
            create = replace(v, version=None, op_type="create")
            result = {**self.index(index, doc_id, source, create), "result": "created"}
            return self._with_get(result, lambda: source, source_spec)
        patch = body.get("doc")
        if patch is None:
            raise ActionRequestValidationError("script or doc is missing")
        if not isinstance(patch, dict):
            raise IllegalArgumentError("[doc] must be an object")
        guard = Versioning(None, "internal", v.if_seq_no, v.if_primary_term, "index", v.routing)
        version = index.check(doc_id, guard)  # a stale if_seq_no conflicts even on a noop
        view = self._current_source(index, doc_id)
        if any(m.name in patch for m in view.members):
            view = view.whole(index)  # the patch names a cut vector: merge the whole source
        merged, changed = merge_patch(view.current, patch)
        # members that changed may still be equal up to the order of nested keys (Python's
        # == first: it is looser than JSON equality, so most changes stop there)
        unchanged = not changed or (
            merged == view.current and same_json(merged, view.current, ordered=False)
        )
        if body.get("detect_noop", True) and unchanged:
            noop = {
                "_index": index.name,
                "_id": doc_id,
                "_version": state.version,
                "result": "noop",
                "_shards": {"total": 0, "successful": 0, "failed": 0},
                "_seq_no": state.seq_no,
                "_primary_term": PRIMARY_TERM,
                "status": 200,
            }
            return self._with_get(noop, lambda: view.whole(index).current, source_spec)
        names = tuple(m.name for m in view.members)
        reuse = reusable_members(index, doc_id, state.seq_no, merged, changed, names)
        kept = None if reuse is None else view.kept(merged)
        if names and kept is None:  # the cut vectors must be indexed again: merge it whole
            view = view.whole(index)
            merged, changed = merge_patch(view.current, patch)
            reuse = reusable_members(index, doc_id, state.seq_no, merged, changed)
        check_routing(index, doc_id, guard)
        result = self._record(
            index, doc_id, version, False, merged, guard, None, view.stored, reuse, kept
        )
        return self._with_get(result, lambda: view.merged_whole(index, merged, kept), source_spec)

    @staticmethod
    def _upsert_source(index: Index, doc_id: str, body: dict[str, Any]) -> Any:
        """What an update of a missing document creates: ``doc`` as upsert, or ``upsert``."""
        if body.get("doc_as_upsert") and body.get("doc") is not None:
            return body["doc"]
        if "upsert" in body:
            return body["upsert"]
        raise DocumentMissingError(
            f"[{doc_id}]: document missing", index=index.name, index_uuid=index.uuid, shard="0"
        )

    def _current_source(self, index: Index, doc_id: str) -> SourceView:
        """The latest source of a live doc: this batch's pending row, else the store (then
        it is also what the write replaces)."""
        row = self.latest.get((index.name, doc_id))
        if row is not None:
            pending = StoredSource(row.source or b"{}", row.layout, row.vectors)
            return SourceView(doc_id, pending, None)
        stored = self.stored.pop((index.name, doc_id), None)
        if stored is None:
            stored = index.read_source(doc_id)
        return SourceView(doc_id, stored or StoredSource(b"{}"), stored)

    def prefetch(self, index: Index, doc_ids: list[str]) -> None:
        """Read the stored sources of documents about to be updated, in one query (a
        bulk of partial updates would otherwise read them one statement at a time); cut
        vectors stay unread, as most updates leave them alone."""
        for doc_id, stored in self.engine.store.stored(index.uuid, doc_ids, False).items():
            self.stored[(index.name, doc_id)] = stored

    # -- commit ----------------------------------------------------------------------

    def commit(self) -> None:
        if not self.rows and not self.mapping_changed:
            return
        for name, rows in self.rows.items():
            keep_shadows(self.indices[name], rows)
        try:
            with self.engine.store.transaction() as tx:
                for name, rows in self.rows.items():
                    index = self.indices[name]
                    if name in self.mapping_changed:
                        tx.put_index(index.name, index.uuid, index.metadata())
                    tx.put_docs(index.uuid, rows)
        except Exception:
            self.engine.reload()
            raise

    # -- helpers ---------------------------------------------------------------------

    def _parse(self, index: Index, source: dict[str, Any], doc_id: str) -> Any:
        before = index.mapping.definition
        try:
            parsed = index.mapping.parse_document(source, doc_id)
        except Exception:
            if index.mapping.definition is not before:  # undo a partial dynamic update
                index.mapping.restore(before)
            raise
        if parsed.mapping_changed:
            self.mapping_changed.add(index.name)
            self.indices[index.name] = index
            self.rows.setdefault(index.name, [])
        return parsed

    def _check_writable(self, index: Index) -> None:
        if index.name not in self._writable:
            index.check_write_block()
            self._writable.add(index.name)

    def _add(self, index: Index, row: DocRow) -> None:
        self.indices[index.name] = index
        self.rows.setdefault(index.name, []).append(row)
        self.latest[(index.name, row.id)] = row

    def _result(self, index: Index, row: DocRow, result: str, status: int) -> dict[str, Any]:
        shards = self._shards.get(index.name)
        if shards is None:
            shards = self._shards[index.name] = index.shards_header()
        return {
            "_index": index.name,
            "_id": row.id,
            "_version": row.version,
            "result": result,
            "_shards": shards,  # one dict for the batch's results: nothing changes it
            "_seq_no": row.seq_no,
            "_primary_term": row.primary_term,
            "status": status,
        }

    @staticmethod
    def _with_get(
        result: dict[str, Any],
        source: Callable[[], dict[str, Any]],
        spec: tuple[bool, list[str], list[str]] | None,
    ) -> dict[str, Any]:
        if spec is None or not spec[0]:
            return result
        result["get"] = {
            "_seq_no": result["_seq_no"],
            "_primary_term": result["_primary_term"],
            "found": True,
            "_source": filter_source(copy.deepcopy(source()), spec[1], spec[2]),
        }
        return result


def keep_shadows(index: Index, rows: list[DocRow]) -> None:
    """Before rows that replace their document's vectors commit, read the vectors the
    shadows of those documents left in the store (:meth:`Index.keep_shadow`)."""
    if not index.shadow_sources:
        return
    for row in rows:
        if row.layout is None or row.vectors is not None:
            ordinal = index.shard.id_to_ord.get(row.id)
            stored = index.shadow_sources.get(ordinal) if ordinal is not None else None
            if stored is not None and not stored.complete:
                index.keep_shadow(ordinal)  # type: ignore[arg-type]


class SourceView:
    """The current source of a document being updated: ``current``, its parsed members
    without the cut vectors (``members``) unless :meth:`whole` put them back; ``stored``,
    what the store holds, when that is what the update replaces."""

    __slots__ = ("current", "doc_id", "held", "members", "stored")

    def __init__(self, doc_id: str, held: StoredSource, stored: StoredSource | None) -> None:
        self.doc_id = doc_id
        self.held = held
        self.stored = stored
        self.members = held.members
        self.current: dict[str, Any] = codec.loads(held.rest) if held.rest else {}

    def whole(self, index: Index) -> SourceView:
        """The same source with its cut vectors parsed into ``current``."""
        held = self._complete(index)
        stored = held if self.stored is not None else None
        return SourceView(self.doc_id, StoredSource(held.whole()), stored)

    def kept(self, merged: dict[str, Any]) -> StoredSource | None:
        """The stored form of ``merged`` around the unchanged cut vectors (None: there
        are none, or they cannot be laid out around it)."""
        if not self.members:
            return None
        return rebuild(merged, self.members, self.held.vectors)

    def merged_whole(
        self, index: Index, merged: dict[str, Any], kept: StoredSource | None
    ) -> dict[str, Any]:
        """The whole merged source (the ``get`` of an update response)."""
        if kept is None:
            return merged
        vectors = self._complete(index).vectors
        assert vectors is not None
        return codec.loads(StoredSource(kept.rest, kept.layout, vectors).whole())

    def _complete(self, index: Index) -> StoredSource:
        """What is held, with the cut vectors' values: those of the store (the held
        source is the stored one, or a write of this batch that kept them)."""
        if not self.held.complete:
            vectors = index.read_vectors(self.doc_id) or b""
            self.held = StoredSource(self.held.rest, self.held.layout, vectors)
            if self.stored is not None:
                self.stored = self.held
        return self.held


_UPDATE_FIELDS = (
    "doc",
    "upsert",
    "doc_as_upsert",
    "detect_noop",
    "_source",
    "script",
    "scripted_upsert",
    "if_seq_no",
    "if_primary_term",
)


def check_update_body(body: dict[str, Any]) -> None:
    for key in body:
        if key not in _UPDATE_FIELDS:
            close = difflib.get_close_matches(key, _UPDATE_FIELDS, n=1, cutoff=0.5)
            hint = f" did you mean [{close[0]}]?" if close else ""
            raise OpenSearchError(
                f"[1:2] [UpdateRequest] unknown field [{key}]{hint}",
                status=400,
                error_type="x_content_parse_exception",
            )
