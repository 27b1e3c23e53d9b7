"""What the sink last learnt about each document it wrote (merge mode).

A merge write needs the document's ``_seq_no`` and ``source_version`` before writing.
The bulk response of the sink's own write tells both, so a document changed again soon
(the common case: activity timestamps, status flips) needs no read first. The entry is
only a guess: the write is still conditional on ``_seq_no``, and if another writer got in
between (409) the entry is dropped and the document read again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Current:
    """A document as the index holds it (``exists=False``: known to be absent)."""

    exists: bool
    seq_no: int = 0
    primary_term: int = 0
    version: int | None = None  # the source version the document was written from
    text_hash: str | None = None


class KnownDocs:
    def __init__(self, limit: int = 200_000) -> None:
        self._docs: OrderedDict[str, Current] = OrderedDict()
        self._limit = limit

    def get(self, doc_id: str) -> Current | None:
        current = self._docs.get(doc_id)
        if current is not None:
            self._docs.move_to_end(doc_id)
        return current

    def put(self, doc_id: str, current: Current) -> None:
        self._docs[doc_id] = current
        self._docs.move_to_end(doc_id)
        if len(self._docs) > self._limit:
            self._docs.popitem(last=False)

    def forget(self, doc_id: str) -> None:
        self._docs.pop(doc_id, None)
