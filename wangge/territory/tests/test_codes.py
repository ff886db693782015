import pytest

from wangge.territory import codes
from wangge.territory.choices import Level


@pytest.mark.parametrize(("code", "level"), [
    ("350583000000", Level.COUNTY),
    ("441900000000", Level.COUNTY),  # 东莞: townships directly under the city
    ("350583001000", Level.TOWNSHIP),
    ("350583001001", Level.VILLAGE),
    ("350583201207", Level.VILLAGE),
    ("350583001001003", Level.GRID),
    ("350583001001003012", Level.SUBGRID),
])
def test_levels_of_well_formed_codes(code, level):
    assert codes.level_of(code) == level
    assert codes.code_problem(code) is None


@pytest.mark.parametrize(("code", "fragment"), [
    ("", "missing"),
    (None, "missing"),
    ("35058300100", "11 digits"),
    ("3505830010011", "13 digits"),
    ("35058300100A", "digits only"),
    ("３５０５８３００１００１", "digits only"),  # full-width digits are not accepted
    ("350583000001", "not a division code"),  # village part without township part
    ("350583001001000", "serial"),  # grid serial 000
    ("000000000000", "not a division code"),
    ("350583001001001000", "serial"),
    ("350583001000001", "serial"),  # a grid under a township code, not a village
])
def test_malformed_codes_say_what_is_wrong(code, fragment):
    problem = codes.code_problem(code)
    assert problem is not None
    assert fragment in problem
    if isinstance(code, str) and code:
        assert codes.level_of(code) is None


def test_prefix_and_parent_follow_the_national_scheme():
    assert codes.prefix_of("350583000000") == "350583"
    assert codes.prefix_of("350583001000") == "350583001"
    assert codes.prefix_of("350583001001") == "350583001001"
    assert codes.parent_code_of("350583000000") is None
    assert codes.parent_code_of("350583001000") == "350583000000"
    assert codes.parent_code_of("350583001001") == "350583001000"
    assert codes.parent_code_of("350583001001007") == "350583001001"
    assert codes.parent_code_of("350583001001007002") == "350583001001007"
    assert codes.is_valid_child("350583001001", "350583001001007")
    assert not codes.is_valid_child("350583001002", "350583001001007")


def test_every_demo_division_code_is_valid_and_nested():
    from wangge.territory.demo import read_divisions

    rows = read_divisions()
    assert sum(r["level"] == "township" for r in rows) == 27
    assert 420 <= sum(r["level"] == "village" for r in rows) <= 440
    for row in rows:
        assert codes.code_problem(row["code"]) is None, row
        assert codes.level_of(row["code"]).slug == row["level"]
        assert (codes.parent_code_of(row["code"]) or "") == row["parent_code"]
