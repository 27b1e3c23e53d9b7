"""MurmurHash3 (x86, 32-bit) and its finaliser, as Lucene's StringHelper and
OpenSearch's BitMixer compute them, vectorised over many inputs with numpy."""

from __future__ import annotations

import numpy as np

_C1 = np.uint32(0xCC9E2D51)
_C2 = np.uint32(0x1B873593)


def java_string_hash(text: str) -> int:
    """``String.hashCode`` as an unsigned 32-bit value."""
    h = 0
    for unit in _utf16_units(text):
        h = (31 * h + unit) & 0xFFFFFFFF
    return h


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def fmix32(h: int) -> int:
    h &= 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def fmix32_many(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def murmur3_x86_32_many(data: list[bytes] | np.ndarray, seed: int) -> np.ndarray:
    """murmurhash3_x86_32 of each byte string, grouped by length so numpy does the work.

    ``data`` is a list of bytes or a numpy ``S`` array (fixed width, NUL padded: the
    strings themselves must not end in NUL bytes).
    """
    block = np.asarray(data, dtype=bytes) if isinstance(data, list) else data
    out = np.zeros(len(block), dtype=np.uint32)
    if not len(block):
        return out
    width = block.dtype.itemsize
    matrix = (
        block.view(np.uint8).reshape(len(block), width)
        if width
        else np.zeros((len(block), 0), np.uint8)
    )
    lengths = np.char.str_len(block) if width else np.zeros(len(block), dtype=np.int64)
    with np.errstate(over="ignore"):
        for length in np.unique(lengths).tolist():
            rows = np.flatnonzero(lengths == length)
            out[rows] = _hash_block(matrix[rows, :length], int(length), seed)
    return out


def _hash_block(block: np.ndarray, length: int, seed: int) -> np.ndarray:
    h1 = np.full(len(block), seed, dtype=np.uint32)
    full = length // 4 * 4
    if full:
        words = np.ascontiguousarray(block[:, :full]).view("<u4")
        for j in range(words.shape[1]):
            k1 = words[:, j].astype(np.uint32) * _C1
            k1 = _rotl(k1, 15) * _C2
            h1 ^= k1
            h1 = _rotl(h1, 13)
            h1 = h1 * np.uint32(5) + np.uint32(0xE6546B64)
    tail = length - full
    if tail:
        k1 = np.zeros(len(block), dtype=np.uint32)
        for j in reversed(range(tail)):
            k1 ^= block[:, full + j].astype(np.uint32) << np.uint32(8 * j)
        k1 = _rotl(k1 * _C1, 15) * _C2
        h1 ^= k1
    h1 ^= np.uint32(length)
    return fmix32_many(h1)
