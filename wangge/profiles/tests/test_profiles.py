"""The grid profile: counts on a small hand-built set, worked out by hand, and its scoping.

溪美街道 (350583001000), 1社区 grid 1 (G1) and grid 2 (G2), 2社区 grid 1 (G3); 柳城街道 grid L1:

              people  buildings  houses  orgs (risky)  components (not normal)  devices  open cases
    G1        3       2          3       1 (1)         1 (0)                    1        2
    G2        0       1          1       1 (0)         0                        0        0
    G3        0       0          0       0             1 (1)                    0        0
    L1        1       1          0       1 (0)         1 (0)                    1        1
"""

from __future__ import annotations

import json

import pytest

from wangge.core.identifiers import id_check_character
from wangge.integrations.models import Device
from wangge.organisations.services import save_organisation
from wangge.people.models import Person, Tag
from wangge.people.services import register_person
from wangge.places.models import Building, House
from wangge.profiles import selectors
from wangge.territory.models import Area
from wangge.things.services import save_component

G1, G2, G3, L1 = (118.05, 24.85), (118.15, 24.85), (118.05, 24.95), (118.25, 24.85)
COUNTY, XIMEI, LIUCHENG, VILLAGE = "350583000000", "350583001000", "350583002000", \
    "350583001001"


def id_number(serial: int) -> str:
    first = f"350583198001{serial:02d}12{serial % 10}"
    return first + id_check_character(first)


def uscc(first17: str) -> str:
    from wangge.core.identifiers import uscc_check_character

    return first17 + uscc_check_character(first17)


@pytest.fixture
def dataset(territory, people):
    from wangge.cases import services as cases

    t = territory
    care = Tag.objects.create(name="独居老人", group="care")
    special = Tag.objects.create(name="社区矫正", group="special")
    g1 = t["350583001001001"]
    register_person(None, name="张三", id_number=id_number(1), area=g1, tags=[care])
    register_person(None, name="李四", id_number=id_number(2), area=g1, tags=[special])
    register_person(None, name="王五", id_number=id_number(3), area=g1, kind="floating")
    register_person(None, name="赵六", id_number=id_number(4), area=t["350583002001001"])
    b1 = Building.objects.create(grid=g1, name="1号楼", lon=118.051, lat=24.851)
    Building.objects.create(grid=g1, name="2号楼", lon=118.052, lat=24.852)
    b3 = Building.objects.create(grid=t["350583001001002"], name="3号楼")
    Building.objects.create(grid=t["350583002001001"], name="4号楼")
    House.objects.create(building=b1, room_no="101", usage="owner")
    House.objects.create(building=b1, room_no="102", usage="owner")
    House.objects.create(building=b1, room_no="201", usage="rented")
    House.objects.create(building=b3, room_no="101", usage="vacant")
    save_organisation(None, kind="enterprise", name="甲厂", credit_code=uscc("91350583MA2Y1K3P0"),
                      lon=G1[0], lat=G1[1], risk_level="major")
    save_organisation(None, kind="small_shop", name="乙店", credit_code="", lon=G2[0],
                      lat=G2[1])
    save_organisation(None, kind="enterprise", name="丙厂", credit_code=uscc("91350583MA2Y1K3Q0"),
                      lon=L1[0], lat=L1[1], risk_level="general")
    save_component(None, code="3505835101000001", name="井盖", lon=G1[0], lat=G1[1])
    save_component(None, code="3505835105000002", name="路灯", lon=G3[0], lat=G3[1],
                   status="damaged")
    save_component(None, code="3505835101000003", name="井盖", lon=L1[0], lat=L1[1])
    Device.objects.create(device_id="smoke-1", kind="smoke", lon=G1[0], lat=G1[1])
    Device.objects.create(device_id="cam-1", kind="camera", lon=L1[0], lat=L1[1])
    for point in (G1, G1, L1):
        cases.report(actor=people["center"], category="0101", description="测试",
                     source="hotline", lon=point[0], lat=point[1])
    return t


def _child(data, code):
    return next(c for c in data["children"] if c["code"] == code)


def test_county_counts_and_children(dataset, users, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        data = selectors.profile(users["district"], dataset[COUNTY])
    assert data["places_ready"]
    assert data["totals"] == {"people": 4, "buildings": 4, "houses": 4, "organisations": 3,
                              "risky_organisations": 1, "components": 3,
                              "faulty_components": 1, "devices": 2, "open_cases": 3}
    kinds = {r["value"]: r["n"] for r in data["people_by_kind"]}
    assert kinds == {"registered": 3, "floating": 1, "foreign": 0}
    usage = {r["value"]: r["n"] for r in data["houses_by_usage"]}
    assert usage == {"owner": 2, "rented": 1, "vacant": 1, "business": 0}
    risk = {r["value"]: r["n"] for r in data["organisations_by_risk"]}
    assert risk == {"low": 1, "general": 1, "larger": 0, "major": 1}
    status = {r["value"]: r["n"] for r in data["components_by_status"]}
    assert status["normal"] == 2 and status["damaged"] == 1
    devices = {r["value"]: r["n"] for r in data["devices_by_kind"]}
    assert devices["smoke"] == 1 and devices["camera"] == 1
    ximei, liucheng = _child(data, XIMEI), _child(data, LIUCHENG)
    assert (ximei["people"], ximei["buildings"], ximei["houses"], ximei["organisations"],
            ximei["risky_organisations"], ximei["components"], ximei["faulty_components"],
            ximei["devices"], ximei["open_cases"]) == (3, 3, 4, 2, 1, 2, 1, 1, 2)
    assert (liucheng["people"], liucheng["buildings"], liucheng["houses"],
            liucheng["organisations"], liucheng["components"], liucheng["devices"],
            liucheng["open_cases"]) == (1, 1, 0, 1, 1, 1, 1)


def test_village_counts_per_grid(dataset, users):
    data = selectors.profile(users["ximei"], dataset[VILLAGE])
    g1, g2 = _child(data, "350583001001001"), _child(data, "350583001001002")
    assert (g1["people"], g1["buildings"], g1["houses"], g1["organisations"],
            g1["components"], g1["devices"], g1["open_cases"]) == (3, 2, 3, 1, 1, 1, 2)
    assert (g2["people"], g2["buildings"], g2["houses"], g2["organisations"],
            g2["components"], g2["devices"], g2["open_cases"]) == (0, 1, 1, 1, 0, 0, 0)
    assert data["totals"]["components"] == 1  # G3 is in the other community


def test_sensitive_tags_only_for_permitted_users_and_never_names(dataset, users, client,
                                                                 make_user):
    data = selectors.profile(users["ximei"], dataset[XIMEI])
    assert [(t["label"], t["n"]) for t in data["tags"]] == [("独居老人", 1)]
    admin = make_user("root", "admin", None, is_superuser=True, is_staff=True)
    tags = {t["label"]: t["n"] for t in selectors.profile(admin, dataset[XIMEI])["tags"]}
    assert tags == {"独居老人": 1, "社区矫正": 1}
    client.force_login(users["ximei"])
    page = client.get(f"/profiles/{XIMEI}/").content.decode()
    assert "独居老人" in page and "社区矫正" not in page
    for name in ("张三", "李四", "王五"):
        assert name not in page


def test_pages_are_scoped(dataset, users, client):
    client.force_login(users["ximei"])
    assert client.get("/profiles/").url == f"/profiles/{XIMEI}/"
    assert client.get(f"/profiles/{COUNTY}/").status_code == 404
    assert client.get(f"/profiles/{LIUCHENG}/").status_code == 404
    assert client.get(f"/profiles/{LIUCHENG}/map.json").status_code == 404
    assert client.get("/profiles/350583002001001/").status_code == 404
    page = client.get(f"/profiles/{XIMEI}/")
    assert page.status_code == 200
    assert page.context["data"]["totals"]["open_cases"] == 2
    client.logout()
    assert client.get(f"/profiles/{XIMEI}/").status_code == 302  # to the login page


def test_map_has_children_and_points_for_a_grid(dataset, users, client):
    client.force_login(users["ximei"])
    data = json.loads(client.get(f"/profiles/{VILLAGE}/map.json").content)
    children = [f["properties"] for f in data["features"] if f["properties"]["role"] == "child"]
    assert {c["code"]: c["open_cases"] for c in children} == {
        "350583001001001": 2, "350583001001002": 0}
    assert len(data["layers"]["organisations"]["points"]) == 2
    assert len(data["layers"]["buildings"]["points"]) == 2  # 3号楼 has no position
    assert {p["label"] for p in data["layers"]["devices"]["points"]} == {"smoke-1"}
    street = json.loads(client.get(f"/profiles/{XIMEI}/map.json").content)
    assert street["layers"] == {}  # a street draws its communities, not points


def test_an_empty_area_shows_zeros(territory, users, client):
    client.force_login(users["liucheng"])
    page = client.get(f"/profiles/{LIUCHENG}/")
    assert page.status_code == 200
    totals = page.context["data"]["totals"]
    assert set(totals.values()) == {0}
    assert Person.objects.count() == 0 and Area.objects.count() > 0


def test_without_the_places_tables_buildings_and_houses_are_zero(dataset, users, monkeypatch):
    monkeypatch.setattr(selectors, "places_ready", lambda: False)
    data = selectors.profile(users["district"], dataset[COUNTY])
    assert (data["totals"]["buildings"], data["totals"]["houses"]) == (0, 0)
    assert data["houses_by_usage"] == [] and data["totals"]["people"] == 4
    assert "buildings" not in selectors.point_layers(dataset[VILLAGE], {})
