"""The compiled sloppy haversine gives, bit for bit, what the numpy steps gave.

``PreparedPoints.meters`` (what ``geo_distance``, the decay functions and distance sorts
measure with) runs :mod:`mutuo.engine.geo_kernel`'s loop. The reference here is the
whole-array numpy arithmetic it replaced (Lucene's SloppyMath on quantised points), kept
in this test as the oracle: distances must be equal to the bit, for origins and points
anywhere, at the poles and across the antimeridian, with points missing; and a
``geo_distance`` whose radius is exactly a document's distance keeps it (inclusive).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opensearchpy import OpenSearch

import mutuo
from mutuo.engine import geo


def _sloppy_asin(a: np.ndarray) -> np.ndarray:
    """SloppyMath.asin on values in [0, 1], as whole-array steps."""
    out = np.empty_like(a)
    small = a <= geo._ASIN_MAX
    x = a[small]
    index = (x * geo._ASIN_INDEXER + 0.5).astype(np.int64)
    delta = x - index * geo._ASIN_DELTA
    out[small] = geo._ASIN_TAB[index] + delta * (
        geo._ASIN_D1[index]
        + delta
        * (geo._ASIN_D2[index] + delta * (geo._ASIN_D3[index] + delta * geo._ASIN_D4[index]))
    )
    y = a[~small]
    t = (1.0 - y) * 0.5
    ps, qs = geo._ASIN_PS, geo._ASIN_QS
    p = t * (ps[0] + t * (ps[1] + t * (ps[2] + t * (ps[3] + t * (ps[4] + t * ps[5])))))
    q = 1.0 + t * (qs[0] + t * (qs[1] + t * (qs[2] + t * qs[3])))
    s = np.sqrt(t)
    z = s + s * (p / q)
    result = geo._ASIN_PIO2_HI - ((z + z) - geo._ASIN_PIO2_LO)
    out[~small] = np.where(y >= 1.0, np.pi / 2, result)
    return out


def _reference_meters(points: geo.PreparedPoints, lat: float, lon: float) -> np.ndarray:
    """SloppyMath.haversinMeters with numpy's whole-array steps (NaN: no point)."""
    out = np.full(len(points.x2), np.nan)
    present = points.present
    x2, lons, cos_x2 = points.x2[present], points.lon[present], points.cos_x2[present]
    x1 = np.radians(lat)
    h1 = 1 - geo.sloppy_cos(x1 - x2)
    h2 = 1 - geo.sloppy_cos(np.radians(lon - lons))
    cos_x1 = float(geo.sloppy_cos(np.array([x1]))[0])
    h = h1 + cos_x1 * cos_x2 * h2
    h = (h.view(np.int64) & np.int64(-8)).view(np.float64)
    out[present] = geo.EARTH_MEAN_RADIUS * 2 * _sloppy_asin(np.minimum(1.0, np.sqrt(h * 0.5)))
    return out


def _edgy(low: float, high: float) -> st.SearchStrategy[float]:
    """Coordinates anywhere, with the bounds and values just inside them favoured."""
    edges = [low, high, np.nextafter(low, 0.0), np.nextafter(high, 0.0), 0.0, -0.0]
    near = [low + 1e-9, high - 1e-9, low + 0.01, high - 0.01]
    return st.one_of(
        st.sampled_from(edges + near), st.floats(low, high, allow_nan=False, allow_subnormal=False)
    )


lats, lons = _edgy(-90.0, 90.0), _edgy(-180.0, 180.0)
points = st.lists(st.one_of(st.tuples(lats, lons), st.none()), min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(origin=st.tuples(lats, lons), docs=points, data=st.data())
def test_compiled_distances_equal_the_numpy_steps_to_the_bit(
    origin: tuple[float, float], docs: list[tuple[float, float] | None], data: st.DataObject
) -> None:
    lat = np.array([np.nan if d is None else d[0] for d in docs])
    lon = np.array([np.nan if d is None else d[1] for d in docs])
    prepared = geo.PreparedPoints(lat, lon)
    expected = _reference_meters(prepared, *origin)
    assert np.array_equal(prepared.meters(*origin), expected, equal_nan=True)
    rows = np.array(
        data.draw(st.lists(st.integers(0, len(docs) - 1), unique=True), label="rows"),
        dtype=np.int64,
    )
    assert np.array_equal(prepared.meters(*origin, rows), expected[rows], equal_nan=True)


def test_compiled_distances_cover_both_arc_sine_branches() -> None:
    """Near points take the table arc sine, antipodal ones the polynomial and 1.0 ones."""
    rng = np.random.default_rng(11)
    lat, lon = rng.uniform(-90, 90, 5000), rng.uniform(-180, 180, 5000)
    lat[:3], lon[:3] = [-10.0, 90.0, 0.0], [-170.0, 0.0, 180.0]
    prepared = geo.PreparedPoints(lat, lon)
    got = prepared.meters(10.0, 10.0)
    assert np.array_equal(got, _reference_meters(prepared, 10.0, 10.0))
    assert got.max() > 0.9 * np.pi * geo.EARTH_MEAN_RADIUS and got.min() < 1e6


def _matching(client: OpenSearch, meters: float, origin: dict[str, float]) -> set[str]:
    query = {"geo_distance": {"distance": meters, "unit": "m", "location": origin}}
    body: dict[str, Any] = {"query": {"bool": {"filter": [query]}}, "_source": False}
    return {h["_id"] for h in client.search(index="places", body=body)["hits"]["hits"]}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(origin=st.tuples(lats, lons), point=st.tuples(lats, lons))
def test_a_radius_equal_to_a_documents_distance_keeps_it(
    origin: tuple[float, float], point: tuple[float, float]
) -> None:
    prepared = geo.PreparedPoints(np.array([point[0]]), np.array([point[1]]))
    meters = float(_reference_meters(prepared, *origin)[0])
    assume(meters >= 1000.0)  # the circle's box allows 1e-4 of the radius for quantisation
    client = mutuo.connect("embedded://:memory:")
    try:
        mapping = {"mappings": {"properties": {"location": {"type": "geo_point"}}}}
        client.indices.create(index="places", body=mapping)
        location = {"lat": point[0], "lon": point[1]}
        client.index(index="places", id="p", body={"location": location}, refresh=True)
        at = {"lat": origin[0], "lon": origin[1]}
        assert _matching(client, meters, at) == {"p"}
        assert _matching(client, float(np.nextafter(meters, 0.0)), at) == set()
    finally:
        client.close()
