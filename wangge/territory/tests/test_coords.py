"""Tests for wangge.territory.coords (WGS-84 / GCJ-02 / BD-09 conversions)."""

import math
import re

import numpy as np
import pytest

from wangge.territory import coords
from wangge.territory.coords import (
    BD09,
    GCJ02,
    SYSTEMS,
    WGS84,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

ALL_FUNCTIONS = [
    wgs84_to_gcj02,
    gcj02_to_wgs84,
    gcj02_to_bd09,
    bd09_to_gcj02,
    wgs84_to_bd09,
    bd09_to_wgs84,
]
INVERSES = {gcj02_to_wgs84, bd09_to_gcj02, bd09_to_wgs84}


def china_grid(step: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A regular grid of points covering mainland China (as 2-D arrays)."""
    lon, lat = np.meshgrid(np.arange(73.5, 135.0, step), np.arange(18.0, 53.6, step))
    return lon, lat


# ---------------------------------------------------------------------------
# Published reference values
# ---------------------------------------------------------------------------
# No map vendor publishes its algorithm; the references below are independent published
# implementations and services built on the same (reverse-engineered) formulas.
#
# [coordtransform] https://github.com/wandergis/coordtransform, test/app.js, which prints
#   all four conversions of (116.404, 39.915) with full double precision. Its inverses are
#   the one-step approximations (gcj02towgs84 is off by ~5e-7 degrees here, bd09togcj02 by
#   ~4e-7), so those two are compared with a 1e-5 tolerance.
# [gcoord] https://github.com/hujiulong/gcoord, test/unit/crs/GCJ02.spec.js: (123, 45),
#   checked there to 5 decimals (its inverse iterates only to 1e-6).
# [aliyun] Alibaba Cloud address purification API, TransferCoord response example,
#   https://help.aliyun.com/zh/address-purification/addrpapi/developer-reference/coordinate-system-conversion
#   GCJ-02 (120.026268, 30.279164) in Hangzhou, results rounded to 6 decimals.
# [devkitlab] https://www.devkitlab.com/en/tools/coordinate-converter/ default example,
#   Tiananmen WGS-84 (116.397428, 39.90923), results given to 8 decimals.
REFERENCES = [
    # (function, input, expected, tolerance, source)
    (
        wgs84_to_gcj02,
        (116.404, 39.915),
        (116.41024449916938, 39.91640428150164),
        1e-9,
        "coordtransform",
    ),
    (
        gcj02_to_bd09,
        (116.404, 39.915),
        (116.41036949371029, 39.92133699351021),
        1e-9,
        "coordtransform",
    ),
    (
        gcj02_to_wgs84,
        (116.404, 39.915),
        (116.39775550083061, 39.91359571849836),
        1e-5,
        "coordtransform",
    ),
    (
        bd09_to_gcj02,
        (116.404, 39.915),
        (116.39762729119315, 39.90865673957631),
        1e-5,
        "coordtransform",
    ),
    (gcj02_to_wgs84, (123.0, 45.0), (122.99395597, 44.99804071), 1e-5, "gcoord"),
    (gcj02_to_bd09, (123.0, 45.0), (123.00636499, 45.00636899), 1e-7, "gcoord"),
    (gcj02_to_bd09, (120.026268, 30.279164), (120.032768, 30.285238), 1e-6, "aliyun"),
    (gcj02_to_wgs84, (120.026268, 30.279164), (120.021519, 30.281543), 2e-5, "aliyun"),
    (wgs84_to_gcj02, (116.397428, 39.90923), (116.40367163, 39.91063351), 1e-7, "devkitlab"),
    (wgs84_to_bd09, (116.397428, 39.90923), (116.4100441, 39.91697286), 1e-7, "devkitlab"),
]


@pytest.mark.parametrize(
    ("func", "point", "expected", "tolerance", "source"),
    REFERENCES,
    ids=[f"{ref[0].__name__}-{ref[4]}-{ref[1][0]}" for ref in REFERENCES],
)
def test_published_reference_values(func, point, expected, tolerance, source):
    lon, lat = func(*point)
    assert abs(lon - expected[0]) <= tolerance
    assert abs(lat - expected[1]) <= tolerance


def test_exact_inverse_beats_one_step_approximation():
    # The [aliyun] WGS-84 value equals the one-step approximation (gcj - offset(gcj))
    # rounded to 6 decimals; it misses the GCJ-02 input by ~1.3e-5 degrees (~1.5 m),
    # while the iterated inverse reproduces it to 1e-9.
    gcj = (120.026268, 30.279164)
    published = wgs84_to_gcj02(120.021519, 30.281543)
    assert max(abs(published[0] - gcj[0]), abs(published[1] - gcj[1])) > 5e-6
    ours = wgs84_to_gcj02(*gcj02_to_wgs84(*gcj))
    assert max(abs(ours[0] - gcj[0]), abs(ours[1] - gcj[1])) < 1e-9


def test_offset_size_is_plausible():
    # GCJ-02 shifts Beijing by a few hundred metres; BD-09 adds roughly another 0.006 deg.
    lon, lat = 116.397428, 39.90923
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    metres = math.hypot(
        (g_lon - lon) * 111320 * math.cos(math.radians(lat)), (g_lat - lat) * 110574
    )
    assert 300 < metres < 700
    b_lon, b_lat = gcj02_to_bd09(g_lon, g_lat)
    assert 0.005 < b_lon - g_lon < 0.008
    assert 0.005 < b_lat - g_lat < 0.008


# ---------------------------------------------------------------------------
# Round trips (vectorised, grid across China)
# ---------------------------------------------------------------------------


def test_round_trip_wgs_gcj_wgs_on_china_grid():
    lon, lat = china_grid()
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert back_lon.shape == lon.shape
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_round_trip_wgs_bd_wgs_on_china_grid():
    lon, lat = china_grid()
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_round_trip_gcj_bd_gcj_on_china_grid():
    lon, lat = china_grid()
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-7
    assert np.abs(back_lat - lat).max() < 1e-7


def test_inverses_are_exact_to_1e9_on_a_fine_grid():
    # Inverse then forward must reproduce the input to the iteration tolerance, i.e. the
    # inverses are the exact ones, not the one-step approximations (~1e-5 off).
    lon, lat = china_grid(step=0.37)
    f_lon, f_lat = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert np.abs(f_lon - lon).max() < 1e-9
    assert np.abs(f_lat - lat).max() < 1e-9
    f_lon, f_lat = gcj02_to_bd09(*bd09_to_gcj02(lon, lat))
    assert np.abs(f_lon - lon).max() < 1e-9
    assert np.abs(f_lat - lat).max() < 1e-9


def test_bd09_round_trip_outside_china():
    # The BD-09 step applies everywhere, and its inverse must converge there too.
    lon = np.array([-179.9, -122.4, -0.1276, 0.0, 151.2, 179.9])
    lat = np.array([-89.0, 37.8, 51.5072, 0.0, -33.87, 89.0])
    back_lon, back_lat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-9
    assert np.abs(back_lat - lat).max() < 1e-9


# ---------------------------------------------------------------------------
# Outside China
# ---------------------------------------------------------------------------

OUTSIDE = {
    "london": (-0.1276, 51.5072),
    "tokyo": (139.6917, 35.6895),
    "new_york": (-74.006, 40.7128),
    "sydney": (151.2093, -33.8688),
}


@pytest.mark.parametrize("name", sorted(OUTSIDE))
def test_points_outside_china_are_unchanged_by_gcj02(name):
    lon, lat = OUTSIDE[name]
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert to_wgs84(lon, lat, GCJ02) == (lon, lat)


def test_mixed_array_only_shifts_points_inside_china():
    lon = np.array([-0.1276, 116.404, 139.6917, 121.4737])
    lat = np.array([51.5072, 39.915, 35.6895, 31.2304])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    inside = np.array([False, True, False, True])
    np.testing.assert_array_equal(g_lon[~inside], lon[~inside])
    np.testing.assert_array_equal(g_lat[~inside], lat[~inside])
    assert np.all(np.abs(g_lon[inside] - lon[inside]) > 1e-3)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    np.testing.assert_allclose(w_lon, lon, rtol=0, atol=1e-9)
    np.testing.assert_allclose(w_lat, lat, rtol=0, atol=1e-9)


def test_in_china():
    assert coords.in_china(116.404, 39.915)
    assert not coords.in_china(-0.1276, 51.5072)
    np.testing.assert_array_equal(
        coords.in_china([116.404, 139.6917], [39.915, 35.6895]), [True, False]
    )


# ---------------------------------------------------------------------------
# Scalar and array paths
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_scalar_and_array_paths_agree(func):
    rng = np.random.default_rng(20240611)
    # More points than one processing block, so the chunking is exercised too.
    size = 20_000
    lon = rng.uniform(73.5, 135.0, size)
    lat = rng.uniform(18.0, 53.5, size)
    lon[:4] = [-0.1276, 139.6917, 0.0, 116.404]  # outside China, origin, Beijing
    lat[:4] = [51.5072, 35.6895, 0.0, 39.915]
    a_lon, a_lat = func(lon, lat)
    assert isinstance(a_lon, np.ndarray)
    assert a_lon.shape == (size,)
    assert a_lon.dtype == np.float64
    # Both paths stop their iterations independently within 1e-9 of the exact inverse.
    tolerance = 2e-9 if func in INVERSES else 1e-12
    for i in list(range(4)) + list(rng.choice(size, 400, replace=False)):
        s_lon, s_lat = func(float(lon[i]), float(lat[i]))
        assert type(s_lon) is float
        assert type(s_lat) is float
        assert abs(s_lon - a_lon[i]) <= tolerance
        assert abs(s_lat - a_lat[i]) <= tolerance


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_input_kinds(func):
    expected = func(116.404, 39.915)
    # ints, numpy scalars and 0-d results of numpy reductions go through the scalar path
    assert func(np.float64(116.404), np.float32(39.915))[0] == pytest.approx(expected[0], abs=1e-5)
    i_lon, i_lat = func(116, 40)
    assert type(i_lon) is float
    assert type(i_lat) is float
    # lists, tuples and broadcasting go through the array path
    l_lon, l_lat = func([116.404, 116.404], (39.915, 39.915))
    np.testing.assert_allclose(l_lon, expected[0], rtol=0, atol=2e-9)
    np.testing.assert_allclose(l_lat, expected[1], rtol=0, atol=2e-9)
    b_lon, b_lat = func(116.404, np.array([[39.915], [39.915]]))
    assert b_lon.shape == b_lat.shape == (2, 1)
    np.testing.assert_allclose(b_lon, expected[0], rtol=0, atol=2e-9)
    # empty input
    e_lon, e_lat = func(np.array([]), np.array([]))
    assert e_lon.shape == e_lat.shape == (0,)


@pytest.mark.parametrize("func", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_nan_propagates_without_affecting_other_points(func):
    lon = np.array([116.404, np.nan, 121.4737])
    lat = np.array([39.915, 30.0, np.nan])
    r_lon, r_lat = func(lon, lat)
    assert not np.isnan(r_lon[0])
    assert not np.isnan(r_lat[0])
    assert abs(r_lon[0] - func(116.404, 39.915)[0]) < 2e-9
    assert np.isnan(r_lon[1]) or np.isnan(r_lat[1])
    assert np.isnan(r_lon[2]) or np.isnan(r_lat[2])


def test_inputs_are_not_modified():
    lon, lat = china_grid()
    lon_copy, lat_copy = lon.copy(), lat.copy()
    for func in ALL_FUNCTIONS:
        func(lon, lat)
    np.testing.assert_array_equal(lon, lon_copy)
    np.testing.assert_array_equal(lat, lat_copy)


# ---------------------------------------------------------------------------
# Dispatch by system name
# ---------------------------------------------------------------------------


def test_constants():
    assert (WGS84, GCJ02, BD09) == ("wgs84", "gcj02", "bd09")
    assert SYSTEMS == (WGS84, GCJ02, BD09)


@pytest.mark.parametrize("name", ["wgs84", "WGS84", "wgs-84", "WGS-84", "Wgs84"])
def test_to_wgs84_from_wgs84_returns_inputs(name):
    lon, lat = np.array([116.404]), np.array([39.915])
    out_lon, out_lat = to_wgs84(lon, lat, name)
    assert out_lon is lon
    assert out_lat is lat
    assert to_wgs84(116.404, 39.915, name) == (116.404, 39.915)


@pytest.mark.parametrize("name", ["gcj02", "GCJ02", "gcj-02", "GCJ-02"])
def test_to_wgs84_from_gcj02(name):
    assert to_wgs84(116.404, 39.915, name) == gcj02_to_wgs84(116.404, 39.915)


@pytest.mark.parametrize("name", ["bd09", "BD09", "bd-09", "BD-09"])
def test_to_wgs84_from_bd09(name):
    assert to_wgs84(116.404, 39.915, name) == bd09_to_wgs84(116.404, 39.915)
    lon, lat = china_grid()
    r_lon, r_lat = to_wgs84(lon, lat, name)
    e_lon, e_lat = bd09_to_wgs84(lon, lat)
    np.testing.assert_array_equal(r_lon, e_lon)
    np.testing.assert_array_equal(r_lat, e_lat)


@pytest.mark.parametrize("name", ["xyz", "", "wgs 84", "epsg:4326", "bd09mc"])
def test_to_wgs84_unknown_system(name):
    message = f"unknown coordinate system {name!r}; expected one of wgs84, gcj02, bd09"
    with pytest.raises(ValueError, match=re.escape(message)):
        to_wgs84(116.404, 39.915, name)


def test_unknown_system_message_is_exact():
    with pytest.raises(ValueError) as excinfo:
        to_wgs84(1.0, 2.0, "xyz")
    assert str(excinfo.value) == (
        "unknown coordinate system 'xyz'; expected one of wgs84, gcj02, bd09"
    )


def test_non_string_system_raises_value_error():
    with pytest.raises(ValueError, match="unknown coordinate system None"):
        to_wgs84(1.0, 2.0, None)
