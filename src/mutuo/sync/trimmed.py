"""Trimmed merge updates: send only the owned fields that changed since the sink's last write.

Most changes touch one or two fields (an activity timestamp, a status), yet a partial
update of the whole profile makes the engine parse, merge and compare every field again.
So when the sink writes a document it keeps a fingerprint of each owned field as it wrote
it (:func:`fingerprint`, stored with the document's ``_seq_no`` in :mod:`.known`), and
the next update of that document sends only the fields whose fingerprint differs
(:func:`changed_fields`).

Why this stays lossless: the update is conditional on the ``_seq_no`` the fingerprint was
stored with. If that still matches, the document has not been written since the sink's
own write, whose owned fields are exactly the fingerprinted ones (by induction: each
trimmed write overlays the changed fields on a document equal to the previous
fingerprint, and the new fingerprint is taken of *all* fields). Any doubt sends every
field: no fingerprint (the entry was read with ``_mget`` after a 409, a restart with a
state from before fingerprints, a failed or dead-lettered write that forgot the entry), a
fingerprint of another field layout (the mapping changed) or format.

A fingerprint is the layout's digest followed by 8 bytes per field, in the mapped field
order: the field's JSON itself when it fits in 8 bytes (exact), else a BLAKE2b digest of
it. Equal JSON means an equal indexed value; a value that encodes differently (another
key order in an object) is merely sent again.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import orjson

_WIDTH = 8  # bytes per field and for the layout header
_FORMAT = b"mutuo.sync.trimmed/1\x00"  # part of the layout digest: a new format never matches
_digest = functools.partial(hashlib.blake2b, digest_size=_WIDTH)
_layouts: dict[tuple[str, ...], bytes] = {}


def fingerprint(fields: dict[str, Any]) -> bytes | None:
    """The fingerprint of a document's owned fields (None when a value is not plain JSON,
    e.g. an integer beyond 64 bits: such a document is always sent whole)."""
    names = tuple(fields)
    layout = _layouts.get(names)
    if layout is None:
        layout = _layouts[names] = _digest(_FORMAT + "\x00".join(names).encode()).digest()
    parts = [layout]
    dumps = orjson.dumps
    try:
        for value in fields.values():
            encoded = dumps(value)
            parts.append(
                encoded.ljust(_WIDTH, b"\x00")  # JSON never holds a raw NUL: unambiguous
                if len(encoded) <= _WIDTH
                else _digest(encoded).digest()
            )
    except TypeError:
        return None
    return b"".join(parts)


def changed_fields(
    fields: dict[str, Any], new: bytes | None, written: bytes | None
) -> dict[str, Any]:
    """The fields to send: those whose fingerprint differs from the one written, or all
    of them (a copy) when the two fingerprints are not of the same layout."""
    if (
        new is None
        or written is None
        or len(new) != len(written)
        or new[:_WIDTH] != written[:_WIDTH]
    ):
        return dict(fields)
    now = memoryview(new)[_WIDTH:].cast("Q")  # one 8-byte slot per field, compared whole
    before = memoryview(written)[_WIDTH:].cast("Q")
    return {
        name: value
        for (name, value), a, b in zip(fields.items(), now, before, strict=True)
        if a != b
    }
