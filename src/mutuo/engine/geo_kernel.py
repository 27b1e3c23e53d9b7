"""Lucene's sloppy haversine as one compiled loop over the rows asked about.

:class:`.geo.PreparedPoints` measured arc distances with whole-array numpy steps: two
table-based cosines and an arc sine of about fifteen temporaries each, ~100 ns per
document, which made the distance clauses of a hard filter its most expensive part. The
loop here performs the same IEEE operations in the same order per document (numba does
not fuse multiply-adds or reorder without ``fastmath``), so every distance is
bit-for-bit the one the numpy steps gave, at a fraction of the cost and without
temporaries. The tables and constants are :mod:`.geo`'s.
"""

from __future__ import annotations

import math

import numpy as np

from . import geo
from .jit import compiled

# numpy's radians (npy_deg2rad) multiplies by this constant
_DEG2RAD = math.pi / 180.0


@compiled
def _arc_kernel(
    x1: float,
    cos_x1: float,
    lon1: float,
    x2s: np.ndarray,
    lons: np.ndarray,
    cos_x2s: np.ndarray,
    present: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray,
    sin_tab: np.ndarray,
    cos_tab: np.ndarray,
    asin: np.ndarray,
    consts: np.ndarray,
) -> None:
    """Distances (m) of ``rows`` into ``out`` (NaN for rows without a point): ``asin``
    holds the five arc sine tables as rows, ``consts`` :data:`_CONSTS`' values."""
    sc_indexer, sc_hi, sc_lo, sc_big = consts[0], consts[1], consts[2], consts[3]
    asin_max, asin_indexer, asin_delta = consts[4], consts[5], consts[6]
    pio2_hi, pio2_lo, radius2 = consts[7], consts[8], consts[9]
    p0, p1, p2, p3, p4, p5 = consts[10], consts[11], consts[12], consts[13], consts[14], consts[15]
    q0, q1, q2, q3 = consts[16], consts[17], consts[18], consts[19]
    size = np.int64(len(sin_tab))
    bits = out.view(np.int64)
    for i in range(len(rows)):
        r = rows[i]
        if not present[r]:
            out[i] = np.nan
            continue
        h1 = h2 = 0.0
        for k in range(2):  # SloppyMath.cos (geo.sloppy_cos) of the two angles
            a = abs(x1 - x2s[r]) if k == 0 else abs((lon1 - lons[r]) * _DEG2RAD)
            if a > sc_big:
                cos_a = math.cos(a)
            else:
                index = np.int64(a * sc_indexer + 0.5)
                delta = (a - index * sc_hi) - index * sc_lo
                index &= size - 2
                c = cos_tab[index]
                s = sin_tab[index]
                cos_a = c + delta * (
                    -s + delta * (-c * 0.5 + delta * (s * (1 / 6.0) + delta * c * (1 / 24.0)))
                )
            if k == 0:
                h1 = 1 - cos_a
            else:
                h2 = 1 - cos_a
        out[i] = h1 + cos_x1 * cos_x2s[r] * h2
        bits[i] &= np.int64(-8)
        y = min(1.0, math.sqrt(out[i] * 0.5))
        if y <= asin_max:  # SloppyMath.asin
            index = np.int64(y * asin_indexer + 0.5)
            delta = y - index * asin_delta
            asin_y = asin[0, index] + delta * (
                asin[1, index]
                + delta * (asin[2, index] + delta * (asin[3, index] + delta * asin[4, index]))
            )
        elif y >= 1.0:
            asin_y = np.pi / 2
        else:
            t = (1.0 - y) * 0.5
            p = t * (p0 + t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5)))))
            q = 1.0 + t * (q0 + t * (q1 + t * (q2 + t * q3)))
            s = math.sqrt(t)
            z = s + s * (p / q)
            asin_y = pio2_hi - ((z + z) - pio2_lo)
        out[i] = radius2 * asin_y


_CONSTS = np.array(
    [
        geo._SC_INDEXER,
        geo._SC_DELTA_HI,
        geo._SC_DELTA_LO,
        geo._SC_MAX,
        geo._ASIN_MAX,
        geo._ASIN_INDEXER,
        geo._ASIN_DELTA,
        geo._ASIN_PIO2_HI,
        geo._ASIN_PIO2_LO,
        geo.EARTH_MEAN_RADIUS * 2,
        *geo._ASIN_PS,
        *geo._ASIN_QS,
    ]
)
_ASIN = np.ascontiguousarray(
    np.stack([geo._ASIN_TAB, geo._ASIN_D1, geo._ASIN_D2, geo._ASIN_D3, geo._ASIN_D4])
)


def arc_meters(
    x1: float,
    cos_x1: float,
    lon: float,
    x2: np.ndarray,
    lons: np.ndarray,
    cos_x2: np.ndarray,
    present: np.ndarray,
    rows: np.ndarray,
) -> np.ndarray:
    """Sloppy haversine distances (m) from a point (its latitude ``x1`` in radians and
    that angle's sloppy cosine, its longitude in degrees) to the prepared points of
    ``rows`` (:class:`.geo.PreparedPoints`' arrays); NaN where a row has no point."""
    out = np.empty(len(rows), dtype=np.float64)
    _arc_kernel(
        float(x1),
        float(cos_x1),
        float(lon),
        x2,
        lons,
        cos_x2,
        present,
        np.asarray(rows, dtype=np.int64),
        out,
        geo._SIN_TAB,
        geo._COS_TAB,
        _ASIN,
        _CONSTS,
    )
    return out
