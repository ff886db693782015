"""Point → grid: inside, on borders, outside, validity, sub-grids, other processes' changes."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone, translation

from wangge.conftest import box, feature
from wangge.territory import locate as locating
from wangge.territory.locate import OUTSIDE, GridIndex, locate
from wangge.territory.models import Area, TerritoryVersion
from wangge.territory.services import import_territory

pytestmark = pytest.mark.django_db


def test_inside_a_grid(territory):
    result = locate(118.05, 24.85)
    assert result.inside
    assert result.grid_code == "350583001001001"
    assert result.grid_id == territory["350583001001001"].pk
    assert locate(118.35, 24.95).grid_code == "350583002002002"


def test_a_point_on_a_shared_border_goes_to_the_lowest_code(territory):
    # the border between grids 001 and 002 of 溪美街道1社区 is the meridian 118.1
    assert locate(118.1, 24.85).grid_code == "350583001001001"
    # the corner shared by four grids, and the township border at 118.2
    assert locate(118.1, 24.9).grid_code == "350583001001001"
    assert locate(118.2, 24.95).grid_code == "350583001002002"
    # the outer edge of the territory still belongs to it
    assert locate(118.0, 24.85).grid_code == "350583001001001"


def test_border_choice_does_not_depend_on_load_order():
    a = box(0, 0, 1, 1)
    b = box(1, 0, 2, 1)
    forward = GridIndex([1, 2], ["350583001001001", "350583001001002"], ["a", "b"],
                        [__import__("shapely").geometry.shape(g) for g in (a, b)])
    backward = GridIndex([2, 1], ["350583001001002", "350583001001001"], ["b", "a"],
                         [__import__("shapely").geometry.shape(g) for g in (b, a)])
    for index in (forward, backward):
        i = index.locate_index(1.0, 0.5)
        assert index.codes[i] == "350583001001001"
        j = index.locate_indices(np.array([1.0, 1.5, 5.0]), np.array([0.5, 0.5, 0.5]))
        assert [index.codes[k] if k != OUTSIDE else None for k in j] == [
            "350583001001001", "350583001001002", None]


def test_outside_the_jurisdiction_is_never_a_wrong_grid(territory):
    for lon, lat in [(118.5, 24.85), (117.99, 24.85), (118.2, 25.0001), (0.0, 0.0)]:
        result = locate(lon, lat)
        assert not result.inside
        assert result.grid_code is None and result.grid_id is None
    with translation.override("en"):
        assert "outside the jurisdiction" in locate(118.5, 24.85).message
    with translation.override("zh-hans"):
        assert "不在辖区" in locate(118.5, 24.85).message


@pytest.mark.parametrize(("lon", "lat", "fragment"), [
    ("abc", 24.8, "must be numbers"),
    (None, 24.8, "must be numbers"),
    (181, 24.8, "longitude 181 is out of range"),
    (118.0, -91, "latitude -91 is out of range"),
    (float("nan"), 24.8, "longitude nan is out of range"),
])
def test_bad_coordinates_are_refused_with_a_reason(territory, lon, lat, fragment):
    with translation.override("en"), pytest.raises(ValueError) as info:
        locate(lon, lat)
    assert fragment in str(info.value)


def test_unknown_coordinate_system_is_refused(territory):
    with pytest.raises(ValueError, match="unknown coordinate system 'utm'"):
        locate(118.05, 24.85, "utm")


def test_vectorised_and_single_answers_agree(territory, monkeypatch):
    index = locating.get_index()
    monkeypatch.setattr(GridIndex, "CHUNK", 700)  # several chunks, the last one partial
    rng = np.random.default_rng(7)
    lons = np.concatenate([rng.uniform(117.95, 118.45, 3000), np.full(5, 118.1)])
    lats = np.concatenate([rng.uniform(24.75, 25.05, 3000), np.linspace(24.8, 25.0, 5)])
    many = index.locate_indices(lons, lats)
    single = np.array([index.locate_index(x, y) for x, y in zip(lons, lats, strict=True)])
    assert (many == single).all()
    assert (many == OUTSIDE).sum() > 0 and (many != OUTSIDE).sum() > 0


def test_expired_grids_are_not_used_and_sub_grids_take_precedence(territory):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Area.objects.filter(code="350583002001001").update(valid_to=yesterday)
    import_territory({"type": "FeatureCollection", "features": [
        feature("350583001001001001", "一号二级网格", box(118.0, 24.8, 118.05, 24.9), "subgrid"),
        feature("350583001001001002", "二号二级网格", box(118.05, 24.8, 118.1, 24.9), "subgrid"),
    ]})
    assert locate(118.25, 24.85).grid_code is None  # the expired grid
    assert locate(118.03, 24.85).grid_code == "350583001001001001"
    assert locate(118.07, 24.85).grid_code == "350583001001001002"
    assert locate(118.05, 24.85).grid_code == "350583001001001001"  # their shared border


def test_another_process_changing_the_grids_is_noticed(territory, settings):
    settings.WANGGE = {**settings.WANGGE, "LOCATE_VERSION_CHECK_SECONDS": 0.0}
    assert locate(118.05, 24.85).grid_name == "1社区1网格"
    # what another process does: write without this process's signals, bump the counter
    Area.objects.filter(code="350583001001001").update(name="改名的网格")
    assert locate(118.05, 24.85).grid_name == "1社区1网格"  # same version, same index
    TerritoryVersion.objects.filter(pk=1).update(version=999)
    assert locate(118.05, 24.85).grid_name == "改名的网格"


def test_saving_an_area_moves_the_version(territory):
    before = locating.current_version()
    area = territory["350583001001001"]
    area.name = "新名字"
    area.save()
    assert locating.current_version() == before + 1


def test_each_coordinate_system_is_converted_before_locating():
    """Published reference pairs for Tiananmen (devkitlab converter, see test_coords.py):
    WGS-84 (116.397428, 39.90923) = GCJ-02 (116.40367163, 39.91063351)
    = BD-09 (116.4100441, 39.91697286). Two grids split at the meridian 116.400: the WGS point
    is west of it, the raw GCJ/BD numbers east. Only a converted point lands in the west grid.
    """
    import_territory({"type": "FeatureCollection", "features": [
        feature("110101000000", "东城区", box(116.38, 39.89, 116.42, 39.93), "county"),
        feature("110101001000", "东华门街道", box(116.38, 39.89, 116.42, 39.93), "township"),
        feature("110101001001", "天安门社区", box(116.38, 39.89, 116.42, 39.93), "village"),
        feature("110101001001001", "西网格", box(116.38, 39.89, 116.40, 39.93), "grid"),
        feature("110101001001002", "东网格", box(116.40, 39.89, 116.42, 39.93), "grid"),
    ]})
    west = "110101001001001"
    assert locate(116.397428, 39.90923).grid_code == west
    assert locate(116.397428, 39.90923, "wgs84").grid_code == west
    assert locate(116.40367163, 39.91063351, "gcj02").grid_code == west
    assert locate(116.4100441, 39.91697286, "bd09").grid_code == west
    assert locate(116.4100441, 39.91697286, "BD-09").grid_code == west
    # unconverted, the same numbers fall in the east grid
    assert locate(116.40367163, 39.91063351).grid_code == "110101001001002"
    converted = locate(116.40367163, 39.91063351, "gcj02")
    assert converted.lon == pytest.approx(116.397428, abs=1e-6)
    assert converted.lat == pytest.approx(39.90923, abs=1e-6)


@pytest.mark.parametrize(("expired", "lon", "lat"), [
    ("350583002001", 118.25, 24.85),  # the community (village) of grid 350583002001001
    ("350583002000", 118.35, 24.95),  # the township of grid 350583002002002
])
def test_grids_of_an_expired_community_or_township_are_not_used(territory, expired, lon, lat):
    assert locate(lon, lat).inside
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Area.objects.filter(code=expired).update(valid_to=yesterday)
    locating.invalidate()
    assert locate(lon, lat).grid_code is None
    assert locate(118.05, 24.85).grid_code == "350583001001001"  # elsewhere nothing changed


def test_sub_grids_of_an_expired_grid_are_not_used(territory):
    import_territory({"type": "FeatureCollection", "features": [
        feature("350583001001001001", "一号二级网格", box(118.0, 24.8, 118.05, 24.9), "subgrid"),
    ]})
    assert locate(118.03, 24.85).grid_code == "350583001001001001"
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    Area.objects.filter(code="350583001002").update(valid_from=tomorrow)  # not valid yet
    Area.objects.filter(code="350583001001001").update(
        valid_to=timezone.localdate() - dt.timedelta(days=1))
    locating.invalidate()
    assert locate(118.03, 24.85).grid_code is None
    assert locate(118.05, 24.95).grid_code is None  # a grid of the future community
