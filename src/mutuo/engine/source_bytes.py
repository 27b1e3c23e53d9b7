"""Excluded top-level members cut from ``_source`` bytes before they are parsed.

A people profile's ``_source`` is ~16 KB, of which three 384-d vectors are ~13 KB, and a
search excludes them (``_source.excludes``): parsing them only to drop them was most of a
recommendation page's fetch. :func:`cut_members` removes top-level members with given
names straight from the bytes, so the parser never sees their values.

Nothing is parsed member by member (that would cost what it saves): each name is found
with ``bytes.find``, and an occurrence counts only if it is a name at the top level. The
bytes before it, strings deleted (split at quotes; a regex when there are escapes), must
hold no quote (else the occurrence is inside a string) and one more opening than closing
bracket. Its value is
then matched by one regex when it is flat (a string, a scalar, an array or object without
nested containers; an array of numbers first, the common case). A name written with
escapes (``"a\\u005fb"``), or a nested value, is left in place: ``complete`` is then
False, and the filter of the parsed source removes it as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRINGS = re.compile(_STRING)
_FLAT_VALUE = re.compile(
    rb"[ \t\r\n]*:[ \t\r\n]*(?:"
    rb"\[[ \t\r\n0-9eE.+\-,]*\]"  # an array of numbers (a vector)
    rb"|" + _STRING + rb"|\[(?:[^\[\]{}\"]|" + _STRING + rb")*\]"
    rb"|\{(?:[^\[\]{}\"]|" + _STRING + rb")*\}"
    rb"|[^ \t\r\n,\]}\[{\"]+)"
)
_COLON = re.compile(rb"[ \t\r\n]*:[ \t\r\n]*")
_SPACE = b" \t\r\n"
_COMMA = 0x2C


@dataclass
class CutSource:
    """The bytes left, and whether every top-level member with a cut name is gone."""

    data: bytes
    complete: bool


def cuttable(name: str) -> bool:
    """Whether a name's only escaped spelling is ``\\uXXXX`` (then ``complete`` can be
    told from the absence of ``\\u`` in the bytes)."""
    return bool(name) and not any(c in name for c in '"\\/') and name.isprintable()


def cut_members(raw: bytes, names: tuple[str, ...]) -> CutSource:
    """``raw`` (a JSON object) without its top-level members called ``names``."""
    spans, complete = member_spans(raw, names)
    out = bytearray()
    copied = 0
    for start, end in spans:
        out += raw[copied:start]
        copied = _drop_comma(out, raw, end)
    out += raw[copied:]
    return CutSource(bytes(out), complete)


def member_spans(raw: bytes, names: tuple[str, ...]) -> tuple[list[tuple[int, int]], bool]:
    """Where the flat top-level members called ``names`` lie in ``raw`` (from the quote
    of the name to the end of the value, in order), and whether that is all of them."""
    found = sorted(
        (position, len(quoted))
        for quoted in (b'"' + n.encode() + b'"' for n in names)
        for position in _occurrences(raw, quoted)
    )
    spans: list[tuple[int, int]] = []
    checked = 0
    depth = 0
    escapes = b"\\" in raw  # one byte: found far faster than the two of "\\u"
    complete = not escapes or b"\\u" not in raw
    for position, length in found:
        if position < checked:
            continue
        between = _outside_strings(raw[checked:position], escapes)
        if between is None:  # inside a string: the text of a value, not a name
            continue
        depth += _depth_change(between)
        checked = position
        if depth != 1:
            continue
        end = _flat_value_end(raw, position + length)
        if end < 0:  # a nested value, or the name is a string value
            complete = False
            continue
        spans.append((position, end))
        checked = end
    return spans, complete


def _outside_strings(text: bytes, escapes: bool) -> bytes | None:
    """``text`` without its complete strings (None when it ends inside one). Without
    escapes, strings are what lies between pairs of quotes: a split, several times faster
    than the regex."""
    if escapes:
        kept = _STRINGS.sub(b"", text)
        return None if b'"' in kept else kept
    pieces = text.split(b'"')
    return None if len(pieces) % 2 == 0 else b"".join(pieces[::2])


def _flat_value_end(raw: bytes, after_name: int) -> int:
    """Where the flat value of the member whose name ends at ``after_name`` ends (-1: not
    a member, or a nested value). An array without strings or containers (a vector) is
    found with ``bytes.find``, several times faster than matching its numbers."""
    colon = _COLON.match(raw, after_name)
    if colon is None:
        return -1
    start = colon.end()
    if raw[start : start + 1] == b"[":
        close = raw.find(b"]", start)
        if close > 0 and all(raw.find(c, start + 1, close) < 0 for c in (b"[", b"{", b'"')):
            return close + 1
    value = _FLAT_VALUE.match(raw, after_name)
    return -1 if value is None else value.end()


def _occurrences(raw: bytes, needle: bytes) -> list[int]:
    out, at = [], raw.find(needle)
    while at >= 0:
        out.append(at)
        at = raw.find(needle, at + len(needle))
    return out


def _depth_change(text: bytes) -> int:
    return text.count(b"{") + text.count(b"[") - text.count(b"}") - text.count(b"]")


def _drop_comma(out: bytearray, raw: bytes, end: int) -> int:
    """Remove the comma that separated the cut member; returns where copying resumes.

    The comma before it when there is one (kept bytes end with ``,``), else the one after
    it (the member came first, right after ``{``).
    """
    kept = len(out)
    while kept and out[kept - 1] in _SPACE:
        kept -= 1
    if kept and out[kept - 1] == _COMMA:
        del out[kept - 1 :]
        return end
    after = end
    while after < len(raw) and raw[after] in _SPACE:
        after += 1
    return after + 1 if after < len(raw) and raw[after] == _COMMA else end
