"""What a partial update changes, and what it can keep as indexed (its reuse plan).

A partial update (``_update`` or a bulk ``update`` with ``doc``) merges a patch into the
stored source. Only the members the patch names can differ from the stored ones: every
other member of the merged source *is* the stored value. Members that did not change are
not parsed again; ``Shard`` copies their column entries from the document's previous
ordinal (the same value under the same mapping version indexes the same).

The plan itself (which members to leave out of the parse, which fields they fill)
depends only on the mapping, the merged source's member names and the names that
changed, which a sync's updates repeat document after document: it is computed once per
such shape and looked up after that.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .index import Index
    from .mapping import Mapping

_ABSENT = object()
_PLAIN = frozenset((str, int, float, bool, type(None)))


class Plan(NamedTuple):
    """How one shape of partial update is indexed: ``members`` (kept as the previous
    ordinal has them) fill ``fields``; the merged source's other members (``parsed``)
    are parsed."""

    members: frozenset[str]
    fields: tuple[str, ...]
    parsed: tuple[str, ...]


class Reuse(NamedTuple):
    """A plan, and the ordinal whose entries the reused members copy."""

    ordinal: int
    plan: Plan


# (mapping version, member names of the merged source, kept members, changed members)
_PlanKey = tuple[int, tuple[str, ...], tuple[str, ...], frozenset[str]]
_PLANS: dict[_PlanKey, Plan | None] = {}
_MAX_PLANS = 1024  # shapes remembered; past that the table starts over


def same_json(a: Any, b: Any, ordered: bool = True) -> bool:
    """Equal, with the same JSON types all the way down, as OpenSearch compares sources:
    ``1``, ``1.0`` and ``true`` are equal in Python but index differently, and so do
    ``0.0`` and ``-0.0``. ``ordered``: objects must also list their keys in the same order
    (the order values of one field are indexed in)."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is float:
        return bool(a == b and (a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b)))
    if kind is dict:
        if (list(a) != list(b)) if ordered else (a.keys() != b.keys()):
            return False
        return all(same_json(a[k], b[k], ordered) for k in a)
    if kind is not list:
        return bool(a == b)
    if len(a) != len(b) or a != b:
        return False
    kinds = set(map(type, a))
    if len(kinds) == 1 and kinds == set(map(type, b)) and kinds <= _PLAIN:
        if float not in kinds or 0.0 not in a:  # one plain type on both sides, no zeros
            return True
    elif list(map(type, a)) != list(map(type, b)):
        return False
    return all(same_json(x, y, ordered) for x, y in zip(a, b, strict=True))


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Partial-update merge: objects merge key by key, everything else is replaced."""
    out = {**base, **patch}
    for key in [k for k, value in patch.items() if isinstance(value, dict)]:
        current = base.get(key)
        if isinstance(current, dict):
            out[key] = deep_merge(current, patch[key])
    return out


def merge_patch(
    current: dict[str, Any], patch: dict[str, Any]
) -> tuple[dict[str, Any], frozenset[str]]:
    """``deep_merge(current, patch)``, and the members whose merged value is not the
    stored one, JSON types included (only the patch's members can differ), in one pass
    over the patch."""
    merged = {**current, **patch}
    changed: list[str] = []
    get = current.get
    for key, value in patch.items():
        old = get(key, _ABSENT)
        kind = type(value)
        if kind is str:  # most members (a string equals nothing but a string)
            if value != old:
                changed.append(key)
        elif value is old:  # (null)
            continue
        elif isinstance(value, dict):
            if isinstance(old, dict):
                value = merged[key] = deep_merge(old, value)
            if not same_json(value, old):
                changed.append(key)
        elif kind is not type(old):
            changed.append(key)
        elif kind is int or kind is bool:
            if value != old:
                changed.append(key)
        elif kind is float:  # 0.0 and -0.0 differ
            if value != old or (
                value == 0.0 and math.copysign(1.0, value) != math.copysign(1.0, old)
            ):
                changed.append(key)
        elif not same_json(value, old):
            changed.append(key)
    return merged, frozenset(changed)


def reusable_members(
    index: Index,
    doc_id: str,
    seq_no: int,
    merged: dict[str, Any],
    changed: frozenset[str],
    kept: tuple[str, ...] = (),
) -> Reuse | None:
    """What a partial update need not parse again: the ordinal holding the document as
    written at ``seq_no``, and the plan reusing its entries for the members of ``merged``
    not in ``changed``; None when there is nothing to reuse.

    Only members that alone fill their fields qualify (``Mapping.member_fields``), and
    none when a member name is dotted (it could fill another member's fields). ``kept``:
    members left out of ``merged`` that the update does not change (cut vectors); None
    unless every one of them can be reused."""
    mapping = index.mapping
    ordinal = index.shard.reusable(doc_id, seq_no, mapping.version)
    if ordinal is None:
        return None
    key = (mapping.version, tuple(merged), kept, changed)
    plan = _PLANS.get(key, _ABSENT)
    if plan is _ABSENT:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = _plan(mapping, key[1], kept, changed)
    if plan is None:
        return None
    assert isinstance(plan, Plan)
    return Reuse(ordinal, plan)


def _plan(
    mapping: Mapping, names: tuple[str, ...], kept: tuple[str, ...], changed: frozenset[str]
) -> Plan | None:
    """The plan of one shape of update (see :func:`reusable_members`)."""
    if any("." in name for name in names):
        return None
    keys: list[str] = list(kept)
    paths: list[str] = []
    parsed: list[str] = []
    for name in kept:
        fields = mapping.member_fields(name)
        if fields is None:
            return None
        paths.extend(fields)
    for name in names:
        fields = None if name in changed else mapping.member_fields(name)
        if fields is None:
            parsed.append(name)
        else:
            keys.append(name)
            paths += fields
    if not keys:
        return None
    return Plan(frozenset(keys), tuple(paths), tuple(parsed))
