"""One index: metadata (settings, mappings, aliases), the version map, and the shard.

The version map holds every document id's current version and sequence number (and
tombstones of deletes, kept for ``index.gc_deletes`` as OpenSearch does) so that the
versioning rules and real-time GET never need the search structures.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import settings as settings_mod
from .dates import parse_time_value
from .errors import (
    ActionRequestValidationError,
    ClusterBlockError,
    InvalidIndexNameError,
    VersionConflictError,
)
from .mapping import Mapping, ParsedDocument
from .shard import PendingOp, Shard
from .store import DocRow
from .stored_source import StoredSource

PRIMARY_TERM = 1
_INVALID_INDEX_CHARS = ' "*\\<|,>/?#:'
# index.blocks.* settings that refuse document writes: (setting, OpenSearch's block text,
# whether deletes still pass)
_WRITE_BLOCKS = (
    ("index.blocks.read_only", "FORBIDDEN/5/index read-only (api)", False),
    ("index.blocks.write", "FORBIDDEN/8/index write (api)", False),
    (
        "index.blocks.read_only_allow_delete",
        "FORBIDDEN/12/index read-only / allow delete (api)",
        True,
    ),
)


@dataclass(slots=True)
class DocState:
    version: int
    seq_no: int
    deleted: bool
    deleted_at: float | None = None
    routing: str | None = None


# not frozen, though never changed once made: a frozen __init__ costs each bulk update
# ~1 us twice (as DocRow's did)
@dataclass(slots=True)
class Versioning:
    """The concurrency controls (and the routing value) of one write request."""

    version: int | None = None
    version_type: str = "internal"
    if_seq_no: int | None = None
    if_primary_term: int | None = None
    op_type: str = "index"  # index | create | delete | update
    routing: str | None = None


class Index:
    def __init__(
        self,
        name: str,
        uuid: str | None = None,
        settings: dict[str, Any] | None = None,
        mappings: dict[str, Any] | None = None,
        aliases: dict[str, dict[str, Any]] | None = None,
        creation_date: int | None = None,
    ) -> None:
        self.name = name
        self.uuid = uuid or uuidlib.uuid4().hex[:22]
        self.creation_date = creation_date or int(time.time() * 1000)
        self.settings: dict[str, Any] = {
            "index.number_of_shards": "1",
            "index.number_of_replicas": "1",
            **(settings or {}),
            "index.uuid": self.uuid,
            "index.provided_name": name,
            "index.creation_date": str(self.creation_date),
            "index.version.created": "137227827",
        }
        self.mapping = Mapping(mappings)
        self.aliases: dict[str, dict[str, Any]] = aliases or {}
        self.docs: dict[str, DocState] = {}
        self.next_seq_no = 0
        self.shard = Shard(self.mapping)
        self.shadow_sources: dict[int, StoredSource | None] = {}
        # the stored source of a live doc (its cut vectors unread) and those vectors' values
        self.read_source: Callable[[str], StoredSource | None] = lambda _doc_id: None
        self.read_vectors: Callable[[str], bytes | None] = lambda _doc_id: None
        self.last_refresh = time.monotonic()

    # -- metadata --------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        return {
            "settings": self.settings,
            "mappings": self.mapping.definition,
            "aliases": self.aliases,
            "creation_date": self.creation_date,
        }

    @classmethod
    def from_metadata(cls, name: str, uuid: str, meta: dict[str, Any]) -> Index:
        return cls(
            name,
            uuid=uuid,
            settings=meta["settings"],
            mappings=meta["mappings"],
            aliases=meta["aliases"],
            creation_date=meta["creation_date"],
        )

    @property
    def hidden(self) -> bool:
        return settings_mod.get_bool(self.settings, "index.hidden")

    def setting_int(self, key: str, default: int) -> int:
        return settings_mod.get_int(self.settings, key, default)

    @property
    def refresh_interval_ms(self) -> float | None:
        """None when periodic refresh is disabled (``-1``)."""
        value = self.settings.get("index.refresh_interval", "1s")
        if str(value) == "-1":
            return None
        return parse_time_value(value, "index.refresh_interval")

    @property
    def gc_deletes_s(self) -> float:
        return (
            parse_time_value(self.settings.get("index.gc_deletes", "60s"), "index.gc_deletes")
            / 1000
        )

    @property
    def replicas(self) -> int:
        """Replica copies configured; ``auto_expand_replicas`` (``0-1``, ``0-all``) expands
        to its lower bound on a single node, as OpenSearch does."""
        auto = str(self.settings.get("index.auto_expand_replicas", "false"))
        if auto != "false" and "-" in auto:
            return int(auto.split("-", 1)[0])
        return self.setting_int("index.number_of_replicas", 1)

    def shards_header(self) -> dict[str, int]:
        return {"total": 1 + self.replicas, "successful": 1, "failed": 0}

    def check_write_block(self, is_delete: bool = False) -> None:
        """Refuse a document write while an ``index.blocks.*`` setting forbids it."""
        blocked = [
            text
            for key, text, allows_delete in _WRITE_BLOCKS
            if settings_mod.get_bool(self.settings, key) and not (is_delete and allows_delete)
        ]
        if blocked:
            raise ClusterBlockError(f"index [{self.name}] blocked by: [{', '.join(blocked)}];")

    # -- versioning ------------------------------------------------------------------

    def current(self, doc_id: str) -> DocState | None:
        """The live state of a doc, or its tombstone while ``gc_deletes`` keeps it."""
        state = self.docs.get(doc_id)
        if state is None:
            return None
        if (
            state.deleted
            and state.deleted_at is not None
            and time.time() - state.deleted_at > self.gc_deletes_s
        ):
            return None
        return state

    def check(self, doc_id: str, v: Versioning) -> int:
        """Apply OpenSearch's versioning rules; return the version the write will get."""
        state = self.current(doc_id)
        live = state is not None and not state.deleted
        if v.if_seq_no is not None or v.if_primary_term is not None:
            if v.if_seq_no is None or v.if_primary_term is None:
                raise ActionRequestValidationError("ifSeqNo is set, but primary term is [0]")
            if not live:
                raise VersionConflictError(
                    f"[{doc_id}]: version conflict, required seqNo [{v.if_seq_no}], primary term "
                    f"[{v.if_primary_term}]. but no document was found",
                    **self._conflict_meta(),
                )
            assert state is not None
            if state.seq_no != v.if_seq_no or v.if_primary_term != PRIMARY_TERM:
                raise VersionConflictError(
                    f"[{doc_id}]: version conflict, required seqNo [{v.if_seq_no}], primary term "
                    f"[{v.if_primary_term}]. current document has seqNo [{state.seq_no}] and "
                    f"primary term [{PRIMARY_TERM}]",
                    **self._conflict_meta(),
                )
        if v.op_type == "create" and live:
            assert state is not None
            raise VersionConflictError(
                f"[{doc_id}]: version conflict, document already exists (current version "
                f"[{state.version}])",
                **self._conflict_meta(),
            )
        if v.version_type in ("external", "external_gte"):
            if v.version is None:
                raise ActionRequestValidationError("an external version is required")
            if v.version < 0:
                raise ActionRequestValidationError(
                    f"illegal version value [{v.version}] for version type [{v.version_type.upper()}]"
                )
            if state is not None:
                gte = v.version_type == "external_gte"
                if (state.version > v.version) if gte else (state.version >= v.version):
                    word = "higher than" if gte else "higher or equal to"
                    raise VersionConflictError(
                        f"[{doc_id}]: version conflict, current version [{state.version}] is "
                        f"{word} the one provided [{v.version}]",
                        **self._conflict_meta(),
                    )
            return v.version
        if v.version_type not in ("internal",):
            raise ActionRequestValidationError(f"version type [{v.version_type}] is not supported")
        if v.version is not None:
            raise ActionRequestValidationError(
                "internal versioning can not be used for optimistic concurrency control. "
                "Please use `if_seq_no` and `if_primary_term` instead"
            )
        return 1 if state is None else state.version + 1

    def _conflict_meta(self) -> dict[str, Any]:
        return {"index_uuid": self.uuid, "shard": "0", "index": self.name}

    # -- applying writes (after the checks, before the store commit) -------------------

    def record_write(
        self,
        doc_id: str,
        version: int,
        source: StoredSource,
        parsed: ParsedDocument,
        routing: str | None = None,
        replaced: StoredSource | None = None,
        reuse: tuple[int, tuple[str, ...]] | None = None,
    ) -> DocRow:
        """``replaced``: the stored source being overwritten, when the caller has it;
        ``reuse``: fields the document keeps as this earlier ordinal has them."""
        self._shadow(doc_id, replaced)
        seq_no = self.next_seq_no
        self.next_seq_no += 1
        self.docs[doc_id] = DocState(version, seq_no, False, routing=routing)
        op = PendingOp(doc_id, seq_no, version, parsed.values, parsed.mapping_version, reuse)
        self.shard.enqueue(op)
        return DocRow(
            doc_id,
            seq_no,
            PRIMARY_TERM,
            version,
            False,
            None,
            source.rest,
            routing,
            source.layout,
            source.vectors,
        )

    def record_delete(self, doc_id: str, version: int, routing: str | None = None) -> DocRow:
        self._shadow(doc_id)
        seq_no = self.next_seq_no
        self.next_seq_no += 1
        now = time.time()
        self.docs[doc_id] = DocState(version, seq_no, True, now, routing)
        self.shard.enqueue(PendingOp(doc_id, seq_no, version, None))
        return DocRow(doc_id, seq_no, PRIMARY_TERM, version, True, now, None, routing)

    def _shadow(self, doc_id: str, stored: StoredSource | None = None) -> None:
        """Keep the source that searches still see until the next refresh.

        Only the first overwrite after a refresh captures it: then the store still holds
        exactly the visible version (same sequence number), which is ``stored`` when the
        caller has just read it.
        """
        ordinal = self.shard.id_to_ord.get(doc_id)
        if ordinal is None or ordinal in self.shadow_sources:
            return
        state = self.docs.get(doc_id)
        if state is not None and state.seq_no == int(self.shard.seq_nos.view()[ordinal]):
            self.shadow_sources[ordinal] = self.read_source(doc_id) if stored is None else stored

    def shadow_source(self, ordinal: int) -> bytes | None:
        """The whole source a search still sees at ``ordinal`` (see :meth:`_shadow`)."""
        stored = self.shadow_sources[ordinal]
        if stored is None:
            return None
        if not stored.complete:
            stored = self.keep_shadow(ordinal)
        return stored.whole() or None

    def keep_shadow(self, ordinal: int) -> StoredSource:
        """Read the vectors of a shadow that left them in the store: before a write
        replaces them, and when a fetch needs them (the store still holds the shadow's
        vectors until a commit changes them, and every such commit calls this first)."""
        stored = self.shadow_sources[ordinal]
        assert stored is not None
        if not stored.complete:
            vectors = self.read_vectors(self.shard.ids[ordinal])
            stored = StoredSource(stored.rest, stored.layout, vectors or b"")
            self.shadow_sources[ordinal] = stored
        return stored

    def refresh(self) -> bool:
        changed = self.shard.refresh()
        if changed:
            self.shadow_sources.clear()
        self.last_refresh = time.monotonic()
        return changed

    def load_row(self, row: DocRow) -> None:
        """Replay one stored row at open (rows come in sequence-number order)."""
        self.next_seq_no = max(self.next_seq_no, row.seq_no + 1)
        self.docs[row.id] = DocState(
            row.version, row.seq_no, row.deleted, row.deleted_at, row.routing
        )


def validate_index_name(name: str) -> None:
    if not name:
        raise InvalidIndexNameError(name, "must not be empty")
    if name != name.lower():
        raise InvalidIndexNameError(name, "must be lowercase")
    if name in (".", ".."):
        raise InvalidIndexNameError(name, "must not be '.' or '..'")
    if name[0] in "_-+":
        raise InvalidIndexNameError(name, "must not start with '_', '-', or '+'")
    if any(c in name for c in _INVALID_INDEX_CHARS):
        raise InvalidIndexNameError(
            name, 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]'
        )
    if len(name.encode()) > 255:
        raise InvalidIndexNameError(
            name, "index name is too long, (" + str(len(name.encode())) + " > 255)"
        )
