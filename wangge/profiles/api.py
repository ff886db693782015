"""The grid profile (网格画像) as JSON: the figures of an area and of each of its children, from
the county down to a grid, scoped to the caller's jurisdiction."""

from __future__ import annotations

from ninja import Router, Schema

from wangge.core.api import area_in_scope
from wangge.profiles import selectors

router = Router(tags=["profiles"])

FIGURES = ["people", "buildings", "houses", "organisations", "risky_organisations",
           "components", "faulty_components", "devices", "open_cases"]
BREAKDOWNS = ["people_by_kind", "houses_by_usage", "organisations_by_kind",
              "organisations_by_risk", "components_by_status", "devices_by_kind"]


class Figures(Schema):
    people: int
    buildings: int
    houses: int
    organisations: int
    risky_organisations: int
    components: int
    faulty_components: int
    devices: int
    open_cases: int


class ChildOut(Figures):
    code: str
    name: str


class TagCount(Schema):
    label: str
    group: str
    n: int


class ProfileOut(Schema):
    code: str
    name: str
    level: str
    totals: Figures
    breakdowns: dict[str, dict[str, int]]
    tags: list[TagCount]
    children: list[ChildOut]


@router.get("/profiles/{code}", response=ProfileOut,
            summary="The grid profile of an area: population, places, organisations, things, "
                    "open cases, and the same for each child area")
def area_profile(request, code: str):
    from wangge.territory.choices import LEVEL_SLUGS, Level

    area = area_in_scope(request.user, code)
    data = selectors.profile(request.user, area)
    return {
        "code": area.code, "name": area.name, "level": LEVEL_SLUGS[Level(area.level)],
        "totals": data["totals"],
        "breakdowns": {name: {row["value"]: row["n"] for row in data[name]}
                       for name in BREAKDOWNS},
        "tags": [{"label": t["label"], "group": str(t["group"]), "n": t["n"]}
                 for t in data["tags"]],
        "children": [{"code": row["code"], "name": row["name"],
                      **{k: row[k] for k in FIGURES}} for row in data["children"]],
    }
