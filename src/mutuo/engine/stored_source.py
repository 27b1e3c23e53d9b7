"""A stored ``_source`` with its vectors kept apart.

A people profile's source is ~18 KB, of which three 384-d ``knn_vector`` members are
~13 KB. Stored inside the JSON, every partial update that changes a date read, parsed,
merged, wrote and re-indexed them. So the top-level members of ``knn_vector`` fields are
cut from the bytes at write time: the docs row keeps the rest (``rest``) and a small
``layout`` saying where each cut member goes back, and their value bytes (``vectors``)
live in a row of their own that a partial update leaving them alone never touches.

Nothing is re-encoded: a member is cut only when its bytes are exactly what the engine
writes for its value (``"name":`` then orjson's text of the parsed list, one comma beside
it and no blanks), so putting the pieces back together (:func:`join`) gives the bytes
that were sent, and a merge re-serialises them as it always did. Any other document
(blanks around a vector, a vector nested in an object, a name seen twice...) is stored
whole, as before; rows written before this layout have no layout and are read as they
are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from . import codec
from .fields import VECTOR
from .mapping import Mapping
from .source_bytes import member_spans

_COMMA, _OPEN, _CLOSE = 0x2C, 0x7B, 0x7D
_NONE, _BEFORE, _AFTER = 0, 1, 2  # where the comma that separated a cut member was


class Member(NamedTuple):
    """One cut member: its name, where it goes back in ``rest`` (a byte offset), its
    place among the source's top-level members, the side of its comma, and its value's
    slice of the vector bytes."""

    name: str
    offset: int
    position: int
    comma: int
    start: int
    length: int


@dataclass(slots=True)
class StoredSource:
    """A document's stored ``_source``: ``rest`` alone when ``layout`` is None; else the
    members of ``layout`` cut out, their values in ``vectors`` (None when not read: the
    store's vector row holds them)."""

    rest: bytes
    layout: bytes | None = None
    vectors: bytes | None = None

    @property
    def members(self) -> tuple[Member, ...]:
        return decode_layout(self.layout) if self.layout else ()

    @property
    def complete(self) -> bool:
        """Whether the whole source can be put back from what is held here."""
        return self.layout is None or self.vectors is not None

    def whole(self) -> bytes:
        assert self.complete, "the vectors of this source were not read"
        if self.layout is None:
            return self.rest
        assert self.vectors is not None
        return join(self.rest, self.members, self.vectors)


def decode_layout(layout: bytes) -> tuple[Member, ...]:
    return tuple(map(Member._make, orjson.loads(layout)))


def join(rest: bytes, members: tuple[Member, ...], vectors: bytes) -> bytes:
    """The whole source: each member put back at its offset (members sharing an offset
    in the order they were cut)."""
    out = bytearray()
    copied = 0
    for m in members:
        out += rest[copied : m.offset]
        copied = m.offset
        if m.comma == _BEFORE:
            out += b","
        out += orjson.dumps(m.name)
        out += b":"
        out += vectors[m.start : m.start + m.length]
        if m.comma == _AFTER:
            out += b","
    out += rest[copied:]
    return bytes(out)


def vector_names(mapping: Mapping, source: dict[str, Any]) -> list[str]:
    """Top-level members of ``source`` that hold a ``knn_vector`` as a list of numbers."""
    fields = mapping.fields
    out = []
    for name, value in source.items():
        if type(value) is list and value and "." not in name:
            mapper = fields.get(name)
            if mapper is not None and mapper.kind == VECTOR and _numbers(value):
                out.append(name)
    return out


def _numbers(values: list[Any]) -> bool:
    return all(type(v) is float or type(v) is int for v in values)


def split(raw: bytes, source: dict[str, Any], mapping: Mapping) -> StoredSource:
    """``raw`` (the JSON of ``source``) stored with its vector members apart, when their
    bytes are exactly the engine's own text of their values; else whole."""
    names = vector_names(mapping, source)
    if not names:
        return StoredSource(raw)
    values = {name: codec.dumps(source[name]) for name in names}
    order = {name: i for i, name in enumerate(source)}
    return cut(raw, values, order) or StoredSource(raw)


def cut(raw: bytes, values: dict[str, bytes], order: dict[str, int]) -> StoredSource | None:
    """``raw`` with the members named in ``values`` cut out, when each appears once at
    the top level as ``"name":value`` with exactly those value bytes and no blank beside
    it (None otherwise). ``order``: each member's place among the top-level members."""
    spans, complete = member_spans(raw, tuple(values))
    if not complete or len(spans) != len(values):
        return None
    quoted = {orjson.dumps(name): name for name in values}
    named: list[tuple[str, int, int, int]] = []
    for start, end in spans:
        colon = raw.find(b":", start)
        name = quoted.get(raw[start:colon])
        if name is None or values[name] != raw[colon + 1 : end]:
            return None  # blanks around the colon, an escaped name, other number text
        named.append((name, order[name], start, end))
    laid = _cut_layout(raw, named)
    if laid is None:
        return None
    rest, layout, values_cut = laid
    return StoredSource(rest, orjson.dumps(layout), b"".join(values_cut))


def _cut_layout(
    raw: bytes, named: list[tuple[str, int, int, int]]
) -> tuple[bytes, list[list[Any]], list[bytes]] | None:
    """``raw`` without the members (name, place, start, end), in order, each taking a
    comma beside it along: (the rest, the layout's entries, the members' value bytes);
    None when a blank is beside one."""
    pieces: list[bytes] = []
    layout: list[list[Any]] = []
    values: list[bytes] = []
    kept = stored = copied = 0  # bytes of rest and of values so far; raw copied up to
    last_kept = -1  # the last byte of rest so far
    for name, position, start, end in named:
        last = raw[start - 1] if start > copied else last_kept
        if start > copied and last == _COMMA:
            comma, cut_from, cut_to = _BEFORE, start - 1, end
        elif raw[end] == _COMMA:
            comma, cut_from, cut_to = _AFTER, start, end + 1
        elif raw[end] == _CLOSE and last == _OPEN:
            comma, cut_from, cut_to = _NONE, start, end
        else:
            return None
        pieces.append(raw[copied:cut_from])
        if cut_from > copied:
            last_kept = raw[cut_from - 1]
        kept += cut_from - copied
        value_start = start + len(orjson.dumps(name)) + 1
        layout.append([name, kept, position, comma, stored, end - value_start])
        values.append(raw[value_start:end])
        stored += end - value_start
        copied = cut_to
    pieces.append(raw[copied:])
    return b"".join(pieces), layout, values


_MARK = b"\x00"  # orjson never writes a NUL byte (strings escape it)
_MARKER = orjson.Fragment(_MARK)


def rebuild(
    merged_rest: dict[str, Any], members: tuple[Member, ...], vectors: bytes | None
) -> StoredSource | None:
    """The stored form of a partial update that left the cut members alone: ``rest``
    and ``layout`` of the merged members around them, their values (``vectors``) kept.
    Written as :func:`codec.dumps` writes the merged source (the members back at their
    places), as the engine stores every merge. None when it cannot be laid out so.

    ``members`` are in order of place (as :func:`cut` lays them out)."""
    try:  # codec.dumps' output for the str keys and JSON values of a parsed source
        rest = orjson.dumps(merged_rest)
    except TypeError:  # integers beyond 64 bits: merge the whole source
        return None
    layout = _placed(rest, merged_rest, members)
    if layout is None:
        return _rebuilt_around_marks(merged_rest, members, vectors)
    return StoredSource(rest, orjson.dumps(layout), vectors)


def _placed(
    rest: bytes, merged_rest: dict[str, Any], members: tuple[Member, ...]
) -> list[list[Any]] | None:
    """The layout of ``members`` put back into ``rest`` (the engine's JSON of
    ``merged_rest``) when each goes after at least one of its members, as a partial
    update of a profile leaves them: a cut member then sits, comma first, at the end of
    the member before it, which is where the only ``,"next":`` of ``rest`` begins (or the
    closing brace, when no member follows). None when that does not hold (a member goes
    first, the next member's name also appears deeper, a cut member's name is among the
    merged ones): :func:`_rebuilt_around_marks` lays those out, or refuses them.

    No other text can look like ``,"next":``: inside a string every quote is escaped,
    and the cut members' values are not in ``rest``."""
    names: list[str] | None = None
    layout: list[list[Any]] = []
    for j, m in enumerate(members):
        before = m.position - j  # members of ``rest`` before this one
        if before <= 0 or m.name in merged_rest:
            return None
        if names is None:
            names = list(merged_rest)
        if before > len(names):
            return None
        if before == len(names):
            offset = len(rest) - 1
        else:
            needle = b"," + orjson.dumps(names[before]) + b":"
            offset = rest.find(needle)
            if offset < 0 or rest.find(needle, offset + 1) >= 0:
                return None
        layout.append([m.name, offset, m.position, _BEFORE, m.start, m.length])
    return layout


def _rebuilt_around_marks(
    merged_rest: dict[str, Any], members: tuple[Member, ...], vectors: bytes | None
) -> StoredSource | None:
    """:func:`rebuild` for any layout: the merged members written with a mark in each
    cut member's place, then cut there (as :func:`cut` cuts)."""
    items = list(merged_rest.items())
    for m in members:
        if m.position > len(items):
            return None
        items.insert(m.position, (m.name, _MARKER))
    placed = dict(items)
    if len(placed) != len(items):
        return None  # a cut member's name among the merged ones
    raw = orjson.dumps(placed)
    named: list[tuple[str, int, int, int]] = []
    mark = -1
    for m in members:
        mark = raw.find(_MARK, mark + 1)
        if mark < 0:
            return None
        named.append((m.name, m.position, mark - len(orjson.dumps(m.name)) - 1, mark + 1))
    laid = _cut_layout(raw, named)
    if laid is None:
        return None
    rest, layout, _ = laid
    for entry, m in zip(layout, members, strict=True):
        entry[4], entry[5] = m.start, m.length  # the kept values' slices
    return StoredSource(rest, orjson.dumps(layout), vectors)
