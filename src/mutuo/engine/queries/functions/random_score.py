"""``random_score``: a reproducible pseudo-random factor in [0, 1) per document.

With ``seed`` and ``field`` the value is OpenSearch's: ``murmurhash3_x86_32`` of the
field value's bytes (keywords: UTF-8; numbers: their decimal text) with the salted seed
``mix32(seed ^ salt)``, ``salt = (index name hash << 10) | shard``, keeping 24 bits.
Without a seed, OpenSearch hashes Lucene doc ids with a time-derived seed (not
reproducible); the engine does the same with ordinals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...columns import KeywordColumn, NumericColumn
from ...errors import IllegalArgumentError, ParsingError
from ...explanation import Explanation, java_double_str
from ...search_context import SearchContext
from ..murmur3 import fmix32, java_string_hash, murmur3_x86_32_many
from . import ScoreFunction, register_function

_MASK32 = 0xFFFFFFFF


@register_function("random_score")
class RandomScore(ScoreFunction):
    def __init__(self, seed: int | None, field: str | None) -> None:
        super().__init__()
        self.seed = seed
        self.field = field

    @classmethod
    def parse(cls, body: Any) -> ScoreFunction:
        if not isinstance(body, dict):
            raise ParsingError("[random_score] malformed score function")
        for key in body:
            if key not in ("seed", "field", "_name"):
                raise ParsingError(f"random_score query does not support [{key}]")
        seed = body.get("seed")
        parsed: int | None = None
        if seed is not None:
            if isinstance(seed, bool | float):
                raise ParsingError(
                    f"random_score seed must be an int, long or string, not '{seed}'"
                )
            if isinstance(seed, int):
                parsed = _int_seed(seed)
            else:
                parsed = java_string_hash(str(seed))
        function = cls(parsed, body.get("field"))
        function.name = body.get("_name")
        return function

    def _salted(self, ctx: SearchContext, seed: int) -> int:
        salt = ((java_string_hash(ctx.index.name) << 10) | 0) & _MASK32
        return fmix32((seed ^ salt) & _MASK32)

    def values(self, ctx: SearchContext, ordinals: np.ndarray) -> np.ndarray:
        if self.seed is None:
            salted = self._salted(ctx, _int_seed(ctx.now_ms))
            hashes = _mix_many(ordinals.astype(np.uint32), salted)
        else:
            salted = self._salted(ctx, self.seed)
            hashes = self._field_hashes(ctx, ordinals, salted)
        return (hashes & 0x00FFFFFF).astype(np.float64) / float(1 << 24)

    def _field_hashes(self, ctx: SearchContext, ordinals: np.ndarray, salted: int) -> np.ndarray:
        field = self.field or "_id"
        if field == "_id":
            return murmur3_x86_32_many(_id_bytes(ctx)[ordinals], salted)
        if field == "_seq_no":
            return murmur3_x86_32_many(ctx.shard.seq_nos.view()[ordinals].astype("S20"), salted)
        mapper = ctx.mapper(field)
        if mapper is None:
            raise IllegalArgumentError(
                f"Field [{field}] is not mapped on [{ctx.index.name}] and cannot be used as a source of random numbers."
            )
        column = ctx.shard.column(mapper.path)
        out = np.full(len(ordinals), salted, dtype=np.uint32)
        if isinstance(column, KeywordColumn):
            first = column.first.view()[ordinals]
            has = first >= 0
            term_hashes = murmur3_x86_32_many(_term_bytes(ctx, mapper.path, column), salted)
            out[has] = term_hashes[first[has]]
        elif isinstance(column, NumericColumn):
            has = column.has.view()[ordinals]
            values = column.values.view()[ordinals][has]
            out[has] = murmur3_x86_32_many(_number_bytes(values), salted)
        return out

    def explain(self, ctx: SearchContext, ordinal: int) -> Explanation:
        value = float(self.values(ctx, np.array([ordinal]))[0])
        field = self.field if self.seed is not None else None
        seed = self.seed if self.seed is not None else "now"
        return Explanation(
            float(np.float32(value)),
            f"random score function (seed: {seed}, field: {field}{self.name_arg()})",
        )


def _id_bytes(ctx: SearchContext) -> np.ndarray:
    """Every ordinal's ``_id`` as UTF-8 in a fixed-width array, cached per refresh."""
    cached = ctx.cache.get("id_bytes")
    if cached is None:
        ids = ctx.shard.ids
        cached = ctx.cache["id_bytes"] = (
            np.array([i.encode() for i in ids], dtype=bytes) if ids else np.empty(0, dtype="S1")
        )
    return cached


def _term_bytes(ctx: SearchContext, path: str, column: KeywordColumn) -> np.ndarray:
    key = ("term_bytes", path)
    cached = ctx.cache.get(key)
    if cached is None or len(cached) != len(column.terms):
        cached = ctx.cache[key] = np.array([t.encode() for t in column.terms], dtype=bytes)
    return cached


def _number_bytes(values: np.ndarray) -> np.ndarray:
    """Decimal text of numbers as Java's ``Long.toString``/``Double.toString`` spell them."""
    if values.dtype.kind in "iu":
        return values.astype("S24")
    # numpy prints plain decimals as Java does ("1.5", "3.0"); Java switches to exponent
    # form outside [1e-3, 1e7), which only those few values need spelled one by one
    out = np.char.encode(values.astype(str), "ascii").astype("S32")
    magnitude = np.abs(values)
    odd = np.flatnonzero((magnitude != 0) & ((magnitude < 1e-3) | (magnitude >= 1e7)))
    for i in odd.tolist():
        out[i] = java_double_str(float(values[i])).encode()
    return out


def _int_seed(value: int) -> int:
    """Java's seed: an int as is, a long through Long.hashCode."""
    if -(2**31) <= value < 2**31:
        return value & _MASK32
    unsigned = value & 0xFFFFFFFFFFFFFFFF
    return (unsigned ^ (unsigned >> 32)) & _MASK32


def _mix_many(values: np.ndarray, seed: int) -> np.ndarray:
    """BitMixer.mix(docId, seed) for many doc ids."""
    from ..murmur3 import fmix32_many

    return fmix32_many(values ^ np.uint32(seed))
