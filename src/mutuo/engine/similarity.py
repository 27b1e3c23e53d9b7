"""BM25 as OpenSearch scores it, and Lucene's one-byte length norms.

Since OpenSearch 3.0 the default ``BM25`` similarity is Lucene's ``BM25Similarity``
(opensearch-project/OpenSearch#17315); the 2.x scorer survives as the ``LegacyBM25`` type,
which multiplies the query boost by ``(1 + k1)`` (the pre-Lucene-8 score scale, so a single
matching term in an average-length document scores its idf). Scores are computed in
float32 exactly as Lucene does, so they match OpenSearch to the printed precision on a
single-shard index:

    idf    = (float) ln(1 + (N - n + 0.5) / (n + 0.5))
    cache  = 1f / (k1 * ((1 - b) + b * LENGTH_TABLE[norm] / avgdl))
    weight = boost * idf                  (LegacyBM25: (boost * (1 + k1)) * idf)
    score  = weight - weight / (1f + freq * cache)
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

NUM_FREE_VALUES = 24  # 255 - longToInt4(Integer.MAX_VALUE)


def long_to_int4(i: int) -> int:
    if i < 0:
        raise ValueError("only supports positive values")
    num_bits = i.bit_length()
    if num_bits < 4:
        return i
    shift = num_bits - 4
    encoded = (i >> shift) & 0x07
    return encoded | ((shift + 1) << 3)


def int4_to_long(i: int) -> int:
    bits = i & 0x07
    shift = (i >> 3) - 1
    return bits if shift == -1 else (bits | 0x08) << shift


def int_to_byte4(i: int) -> int:
    """SmallFloat.intToByte4: the one-byte norm of a field length."""
    if i < NUM_FREE_VALUES:
        return i
    return NUM_FREE_VALUES + long_to_int4(i - NUM_FREE_VALUES)


def byte4_to_int(b: int) -> int:
    if b < NUM_FREE_VALUES:
        return b
    return min(NUM_FREE_VALUES + int4_to_long(b - NUM_FREE_VALUES), 2**31 - 1)


LENGTH_TABLE = np.array([byte4_to_int(i) for i in range(256)], dtype=np.float32)
_ENCODE_SMALL = np.array([int_to_byte4(i) for i in range(4096)], dtype=np.uint8)


def encode_lengths(lengths: np.ndarray) -> np.ndarray:
    """Vectorised intToByte4 over field lengths."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size and lengths.max() < len(_ENCODE_SMALL):
        return _ENCODE_SMALL[lengths]
    return np.array([int_to_byte4(int(v)) for v in lengths], dtype=np.uint8)


@functools.lru_cache(maxsize=1024)
def _norm_cache(k1: float, b: float, avgdl: float) -> np.ndarray:
    k1_, b_, avg, one = np.float32(k1), np.float32(b), np.float32(avgdl), np.float32(1.0)
    with np.errstate(divide="ignore"):
        cache = (one / (k1_ * ((one - b_) + b_ * LENGTH_TABLE / avg))).astype(np.float32)
    cache.flags.writeable = False  # shared between queries
    return cache


@dataclass(frozen=True)
class BM25:
    k1: float = 1.2
    b: float = 0.75
    legacy: bool = False  # the ``LegacyBM25`` type

    def scorer_boost(self, boost: float) -> np.float32:
        """The boost Lucene's scorer sees (LegacyBM25Similarity multiplies in 1 + k1)."""
        if self.legacy:
            return np.float32(boost) * (np.float32(1) + np.float32(self.k1))
        return np.float32(boost)

    def weight(self, boost: float, idf: float) -> np.float32:
        return self.scorer_boost(boost) * np.float32(idf)

    def idf(self, doc_freq: int | np.ndarray, doc_count: int) -> np.ndarray:
        n = np.asarray(doc_freq, dtype=np.float64)
        return np.log(1.0 + (doc_count - n + 0.5) / (n + 0.5)).astype(np.float32)

    def norm_cache(self, avgdl: float) -> np.ndarray:
        """The 256 per-norm factors Lucene precomputes for one query term."""
        return _norm_cache(self.k1, self.b, avgdl)

    def score(
        self, weight: np.float32, freqs: np.ndarray, norms: np.ndarray, cache: np.ndarray
    ) -> np.ndarray:
        """Per-document scores of one term: ``weight - weight / (1 + freq * cache[norm])``."""
        w = np.float32(weight)
        inv = cache[norms]
        return (w - w / (np.float32(1.0) + freqs.astype(np.float32) * inv)).astype(np.float32)

    @staticmethod
    def avgdl(sum_total_term_freq: int, doc_count: int) -> float:
        if doc_count == 0:
            return 1.0
        return float(np.float32(sum_total_term_freq / doc_count))

    @staticmethod
    def idf_scalar(doc_freq: int, doc_count: int) -> float:
        return float(np.float32(math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))))


@dataclass(frozen=True)
class BooleanSimilarity:
    """Lucene's BooleanSimilarity: a matching term scores its query boost, nothing else."""

    k1: float = 0.0
    b: float = 0.0

    def scorer_boost(self, boost: float) -> np.float32:
        return np.float32(boost)

    def weight(self, boost: float, idf: float) -> np.float32:
        return np.float32(boost)

    def norm_cache(self, avgdl: float) -> np.ndarray:
        return np.zeros(256, dtype=np.float32)

    def score(
        self, weight: np.float32, freqs: np.ndarray, norms: np.ndarray, cache: np.ndarray
    ) -> np.ndarray:
        return np.full(len(freqs), np.float32(weight), dtype=np.float32)

    @staticmethod
    def avgdl(sum_total_term_freq: int, doc_count: int) -> float:
        return 1.0

    @staticmethod
    def idf_scalar(doc_freq: int, doc_count: int) -> float:
        return 1.0


Similarity = BM25 | BooleanSimilarity


def similarity_for(settings: dict[str, object], name: str) -> Similarity:
    """The similarity named ``name`` in ``index.similarity.<name>.*`` settings.

    ``default`` without settings is BM25(1.2, 0.75); ``BM25`` and ``LegacyBM25`` read
    ``k1`` and ``b``; ``boolean`` scores matching terms by their boost. Other Lucene similarities (DFR, IB,
    LM*, scripted) are refused rather than approximated.
    """
    prefix = f"index.similarity.{name}."
    own = {k[len(prefix) :]: v for k, v in settings.items() if k.startswith(prefix)}
    if not own:
        if name in ("default", "BM25"):
            return BM25()
        if name == "boolean":
            return BooleanSimilarity()
        raise ValueError(f"Unknown Similarity type [{name}]: no [index.similarity.{name}] settings")
    kind = str(own.get("type", "BM25"))
    if kind in ("BM25", "LegacyBM25"):
        try:
            return BM25(
                k1=float(own.get("k1", 1.2)),  # type: ignore[arg-type]
                b=float(own.get("b", 0.75)),  # type: ignore[arg-type]
                legacy=kind == "LegacyBM25",
            )
        except ValueError:
            raise ValueError(f"invalid [k1] or [b] for similarity [{name}]") from None
    if kind == "boolean":
        return BooleanSimilarity()
    raise ValueError(
        f"Similarity type [{kind}] of [{name}] is not supported by the embedded engine "
        "(supported: BM25, LegacyBM25, boolean)"
    )
