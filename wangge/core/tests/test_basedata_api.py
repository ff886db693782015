"""The base-data API (people, places, things, organisations, profiles) over real HTTP: what a
street sees, what it cannot reach, masking, reveal with its log, writes with their history and
stale-write refusal. The same scoping is checked for every web page of those apps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from wangge.cases.tests.conftest import Api
from wangge.core.identifiers import id_check_character, uscc_check_character

XIMEI_GRID = "350583001001001"  # lon 118.0–118.1, lat 24.8–24.9
LIUCHENG_GRID = "350583002001001"  # lon 118.2–118.3, lat 24.8–24.9
XIMEI_TOWN = "350583001000"


def _id(first17: str) -> str:
    return first17 + id_check_character(first17)


def _uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


# real HTTP through a live server: the taxonomy (a data migration) is restored between tests
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ZHANG_ID = _id("35058319800101123")
WANG_ID = _id("35058319900202234")


@pytest.fixture
def world(users, territory, make_user):
    """One of everything in 溪美 and in 柳城."""
    from django.contrib.auth.models import Permission

    from wangge.accounts.choices import Role
    from wangge.integrations.models import Device, DeviceKind
    from wangge.organisations import services as orgs
    from wangge.people.models import Tag, TagGroup
    from wangge.people.services import register_person
    from wangge.places import services as places
    from wangge.things import services as things

    t = territory
    Tag.objects.create(name="独居老人", group=TagGroup.CARE)
    Tag.objects.create(name="社区矫正", group=TagGroup.SPECIAL)
    data = {}
    for side, grid, lon, serial, first in (("ximei", XIMEI_GRID, 118.05, "1", ZHANG_ID),
                                           ("liucheng", LIUCHENG_GRID, 118.25, "2", WANG_ID)):
        person = register_person(None, name=f"{side}居民", id_number=first, area=t[grid],
                                 phone=f"1380000000{serial}", tags=["独居老人", "社区矫正"])
        address = places.create_address(None, area=t[grid], road=f"{side}路", door_number="12")
        building = places.create_building(None, name=f"{side}苑1栋", lon=lon, lat=24.85,
                                          address=address)
        house = places.create_house(None, building=building, unit_no="1", room_no="101",
                                    owner=person)
        places.register_residence(None, person=person, house=house, relation="户主")
        component = things.save_component(None, code=f"350583510100000{serial}", name="井盖",
                                          lon=lon, lat=24.85)
        org = orgs.save_organisation(None, kind="enterprise", name=f"{side}石材有限公司",
                                     credit_code=_uscc(f"91350583MA2Y1K3P{serial}"),
                                     lon=lon, lat=24.85, contact_phone="13912345678")
        device = Device.objects.create(device_id=f"SMK-{side}", kind=DeviceKind.SMOKE,
                                       lon=lon, lat=24.85, component=component.code)
        data[side] = {"person": person, "address": address, "building": building,
                      "house": house, "component": component, "org": org, "device": device,
                      "grid": t[grid]}
    full = Permission.objects.get(codename="view_full_id", content_type__app_label="people")
    users["district"].user_permissions.add(full)
    users["leader"] = make_user("leader", Role.LEADER, t["350583000000"])
    users["worker"] = make_user("worker", Role.GRID_WORKER, t[XIMEI_GRID])
    return data


@pytest.fixture
def apis(live_server, world, users):
    return {name: Api(live_server.url, user) for name, user in users.items()
            if name != "nobody"} | {"anonymous": Api(live_server.url)}


def _detail_paths(side: dict) -> list[str]:
    return [f"/people/{side['person'].pk}", f"/people/{side['person'].pk}/history",
            f"/addresses/{side['address'].pk}", f"/buildings/{side['building'].pk}",
            f"/buildings/{side['building'].pk}/houses", f"/houses/{side['house'].pk}",
            f"/buildings/{side['building'].pk}/history", f"/houses/{side['house'].pk}/history",
            f"/components/{side['component'].code}",
            f"/components/{side['component'].code}/history",
            f"/organisations/{side['org'].pk}", f"/organisations/{side['org'].pk}/history",
            f"/profiles/{side['grid'].code}"]


def test_a_street_cannot_reach_another_streets_base_data_by_any_api_call(apis, world):
    ximei, liucheng = apis["ximei"], apis["liucheng"]
    for path in _detail_paths(world["ximei"]):
        assert ximei.get(path)  # present for its own street …
        body = liucheng.get(path, expect=404)  # … and as absent as a missing one for the other
        assert body["code"] == "not_found"
    person = world["ximei"]["person"]
    # lists, filters and lookups show nothing of 溪美 to 柳城
    for path, key in [("/people", "name"), ("/addresses", "full_text"), ("/buildings", "name"),
                      ("/houses", "building"), ("/components", "code"),
                      ("/organisations", "name"), ("/devices", "device_id")]:
        mine = [r[key] for r in ximei.get(path)["results"]]
        theirs = [r[key] for r in liucheng.get(path)["results"]]
        assert mine and theirs and not set(mine) & set(theirs), path
    why = "登记核对"  # an exact lookup needs a reason (issue #11)
    assert liucheng.get("/people", params={"id_number": ZHANG_ID, "reason": why})["count"] == 0
    assert ximei.get("/people", params={"id_number": ZHANG_ID, "reason": why})["count"] == 1
    assert liucheng.get("/people", params={"phone": "13800000001", "reason": why}
                        )["count"] == 0
    assert liucheng.get("/people", params={"area": XIMEI_TOWN}, expect=404)
    assert liucheng.get("/houses", params={"building": world["ximei"]["building"].pk}
                        )["count"] == 0
    # writes and reveals cannot reach it either
    liucheng.call("PATCH", f"/people/{person.pk}", 404, json={"address": "x"})
    liucheng.post(f"/people/{person.pk}/reveal", {"reason": "查看"}, expect=404)
    liucheng.call("PATCH", f"/components/{world['ximei']['component'].code}", 404,
                  json={"status": "damaged"})
    liucheng.post(f"/organisations/{world['ximei']['org'].pk}/inspections",
                  {"result": "passed"}, expect=404)
    liucheng.call("PATCH", f"/houses/{world['ximei']['house'].pk}", 404, json={"usage": "vacant"})
    # address matching only offers the caller's own addresses
    match = liucheng.post("/addresses/match", {"text": "南安市溪美街道ximei路12号"})
    assert match["candidate"] is None or match["candidate"]["area_code"] != XIMEI_GRID
    # not logged in: nothing at all
    assert apis["anonymous"].get("/people", expect=401)["code"] == "unauthenticated"


def test_the_district_sees_both_streets(apis):
    assert apis["district"].get("/people")["count"] == 2
    profile = apis["district"].get("/profiles/350583000000")
    assert profile["totals"]["people"] == 2 and profile["totals"]["organisations"] == 2
    assert {c["code"]: c["people"] for c in profile["children"]} == {
        "350583001000": 1, "350583002000": 1}


def test_id_numbers_are_masked_and_revealed_only_with_permission_and_a_reason(apis, world):
    from wangge.people.models import AccessLog

    person = world["ximei"]["person"]
    row = apis["ximei"].get(f"/people/{person.pk}")
    assert row["id_number"] == ZHANG_ID[:4] + "*" * 10 + ZHANG_ID[-4:]
    assert ZHANG_ID not in str(row) and "13800000001" not in str(row)
    assert row["phone"] == "138****0001"
    # the street dispatcher may not see the full number
    assert apis["ximei"].post(f"/people/{person.pk}/reveal", {"reason": "核实身份"},
                              expect=403)["code"] == "forbidden"
    # the permitted district operator must give a reason, and is logged
    assert apis["district"].post(f"/people/{person.pk}/reveal", {"reason": " "}, expect=422)
    assert not AccessLog.objects.exists()
    clear = apis["district"].post(f"/people/{person.pk}/reveal", {"reason": "核实身份"})
    assert clear == {"id_number": ZHANG_ID, "phone": "13800000001"}
    log = AccessLog.objects.get()
    assert (log.person_id, log.actor.username, log.reason) == (person.pk, "district", "核实身份")
    # and both attempts are in the security audit trail, with who, whom, why and the outcome
    from wangge.audit.models import AuditEvent

    audit = list(AuditEvent.objects.filter(event="reveal").order_by("pk").values_list(
        "actor_username", "object_type", "object_id", "outcome", "client_ip"))
    assert audit == [("ximei", "people.person", str(person.pk), "denied", "127.0.0.1"),
                     ("district", "people.person", str(person.pk), "ok", "127.0.0.1")]
    trail = AuditEvent.objects.filter(event="reveal", outcome="ok").get()
    assert trail.detail["reason"] == "核实身份" and ZHANG_ID not in str(trail.detail)


def test_special_group_tags_are_hidden_without_their_permission(apis, world, users):
    from django.contrib.auth.models import Permission

    person = world["ximei"]["person"]
    assert apis["ximei"].get(f"/people/{person.pk}")["tags"] == ["独居老人"]
    assert apis["ximei"].get("/people", params={"tag": "社区矫正"})["count"] == 0
    history = apis["ximei"].get(f"/people/{person.pk}/history")
    assert "sensitive_tags" not in history[0]["after"]
    users["ximei"].user_permissions.add(Permission.objects.get(
        codename="view_sensitive_tags", content_type__app_label="people"))
    assert apis["ximei"].get(f"/people/{person.pk}")["tags"] == ["独居老人", "社区矫正"]
    assert apis["ximei"].get("/people", params={"tag": "社区矫正"})["count"] == 1


def test_register_and_change_a_person_through_the_api(apis, world):
    api = apis["worker"]
    new_id = _id("35058320010505456")  # 17th digit even: a woman
    created = api.post("/people", {"name": "陈七", "id_number": new_id,
                                   "area_code": XIMEI_GRID, "phone": "139 1111 2222",
                                   "tags": ["独居老人"]}, expect=201)
    assert created["id_number"] == new_id[:4] + "*" * 10 + new_id[-4:]
    assert created["sex"] == "F" and created["tags"] == ["独居老人"]
    # the same ID number again: refused, naming the field
    again = api.post("/people", {"name": "陈七", "id_number": new_id.lower(),
                                 "area_code": XIMEI_GRID}, expect=422)
    assert again["code"] == "invalid" and "id_number" in again["errors"]
    bad = api.post("/people", {"name": "陈八", "id_number": new_id[:-1] + "0",
                               "area_code": XIMEI_GRID}, expect=422)
    assert "check" in bad["errors"]["id_number"][0]
    outside = api.post("/people", {"name": "陈九", "id_number": _id("35058320010505467"),
                                   "area_code": LIUCHENG_GRID}, expect=422)
    assert "area_code" in outside["errors"]
    # change it from a fresh copy, then from the stale one
    seen = created["updated_at"]
    changed = api.call("PATCH", f"/people/{created['id']}", 200,
                       json={"address": "溪美街道幸福路12号", "updated_at": seen})
    assert changed["address"] == "溪美街道幸福路12号"
    stale = api.call("PATCH", f"/people/{created['id']}", 409,
                     json={"address": "别处", "updated_at": seen})
    assert stale["code"] == "conflict"
    assert api.get(f"/people/{created['id']}")["address"] == "溪美街道幸福路12号"
    history = api.get(f"/people/{created['id']}/history")
    assert [h["action"] for h in history] == ["updated", "created"]
    assert history[0]["source"] == "api" and history[0]["actor"] == "worker"
    assert history[0]["before"]["address"] == "" and \
        history[0]["after"]["address"] == "溪美街道幸福路12号"


def test_readers_may_not_write(apis, world):
    person = world["ximei"]["person"]
    body = apis["leader"].call("PATCH", f"/people/{person.pk}", 403, json={"address": "x"})
    assert body["code"] == "forbidden"
    apis["leader"].post("/people", {"name": "x", "id_number": _id("35058320010505478"),
                                    "area_code": XIMEI_GRID}, expect=403)
    apis["leader"].call("PATCH", f"/components/{world['ximei']['component'].code}", 403,
                        json={"status": "damaged"})
    assert apis["leader"].get(f"/people/{person.pk}")["name"] == "ximei居民"


def test_components_houses_and_organisations_change_through_the_api(apis, world):
    api = apis["ximei"]
    code = world["ximei"]["component"].code
    component = api.get(f"/components/{code}")
    assert component["devices"][0]["device_id"] == "SMK-ximei"
    changed = api.call("PATCH", f"/components/{code}", 200,
                       json={"status": "damaged", "updated_at": component["updated_at"]})
    assert changed["status"] == "damaged"
    assert api.call("PATCH", f"/components/{code}", 409,
                    json={"status": "missing", "updated_at": component["updated_at"]})
    assert api.call("PATCH", f"/components/{code}", 400, json={"status": "gone"})
    moved = api.call("PATCH", f"/components/{code}", 422, json={"lon": 130.0, "lat": 10.0})
    assert moved["code"] == "invalid"
    assert api.get(f"/components/{code}")["status"] == "damaged"
    history = api.get(f"/components/{code}/history")
    assert [(h["action"], h["source"].split()[0]) for h in history][:1] == [("updated", "api")]
    assert history[0]["before"]["status"] == "normal" and history[0]["after"]["status"] == \
        "damaged" and history[0]["actor"] == "ximei"
    house = world["ximei"]["house"]
    assert api.call("PATCH", f"/houses/{house.pk}", 200,
                    json={"usage": "vacant"})["usage"] == "vacant"
    detail = api.get(f"/houses/{house.pk}")
    assert detail["current"] == [] and detail["past"][0]["name"] == "ximei居民"
    org = world["ximei"]["org"]
    inspection = api.post(f"/organisations/{org.pk}/inspections",
                          {"result": "rectify", "issues": "消防通道堵塞",
                           "follow_up_date": (dt.date.today() + dt.timedelta(days=7)).isoformat()},
                          expect=201)
    assert inspection["result"] == "rectify"
    assert api.post(f"/organisations/{org.pk}/inspections", {"result": "rectify"},
                    expect=422)["errors"]["issues"]
    assert api.get(f"/organisations/{org.pk}")["inspections"][0]["issues"] == "消防通道堵塞"
    assert api.get(f"/organisations/{org.pk}")["contact_phone"] == "139****5678"
    assert "13912345678" not in str(api.get(f"/organisations/{org.pk}/history"))
    created = api.post("/organisations", {"kind": "small_restaurant", "name": "阿香小吃",
                                          "lon": 118.06, "lat": 24.86}, expect=201)
    assert created["grid_code"] == XIMEI_GRID and created["credit_code"] == ""
    bad = api.post("/organisations", {"kind": "enterprise", "name": "某公司",
                                      "credit_code": "91350583MA2Y1K3P0X", "lon": 118.06,
                                      "lat": 24.86}, expect=422)
    assert "credit_code" in bad["errors"]


def test_address_matching_scores_a_messy_address(apis, world):
    match = apis["ximei"].post("/addresses/match", {"text": "溪美街道ximei路12号"})
    assert match["accepted"] and match["candidate"]["id"] == world["ximei"]["address"].pk
    assert match["score"] >= 80
    assert apis["ximei"].post("/addresses/match", {"text": " "}, expect=400)


# --- the web pages of the same apps ------------------------------------------------------------
BASE_DATA_NAMESPACES = ("people", "places", "things", "organisations", "profiles")
PUBLIC = {("places", "qr")}  # the QR door plate's public page: no login, no personal data


def _patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            yield from _patterns(item, item.namespace or namespace)
        elif isinstance(item, URLPattern) and namespace in BASE_DATA_NAMESPACES:
            yield namespace, item.name, item.pattern.converters.keys()


def _kwargs(side: dict, namespace: str, name: str, params) -> dict:
    values = {"people": {"pk": side["person"].pk},
              "things": {"code": side["component"].code},
              "organisations": {"pk": side["org"].pk},
              "profiles": {"code": side["grid"].code}}.get(namespace, {})
    if namespace == "places":
        values = {"token": side["building"].qr_token,
                  "pk": side["house"].pk if name.startswith("house") else side["building"].pk}
    return {key: values[key] for key in params}


def test_no_web_page_of_base_data_shows_another_streets_record(client, world, users):
    """Every URL of the base-data apps that names a record: 200 (or a redirect/refusal of the
    method) for the record's own street, 404 for the other street."""
    from django.urls import reverse

    checked = 0
    for namespace, name, params in _patterns():
        if not params or (namespace, name) in PUBLIC:
            continue
        if name == "review-decide":  # names an address match: covered in places' own tests
            continue
        url = reverse(f"{namespace}:{name}", kwargs=_kwargs(world["ximei"], namespace, name,
                                                            params))
        client.force_login(users["ximei"])
        assert client.get(url).status_code in (200, 302, 405), url
        client.force_login(users["liucheng"])
        # a 405 for a method the page does not take tells nothing about the record
        statuses = {client.get(url).status_code, client.post(url, {"reason": "x"}).status_code}
        assert 404 in statuses and statuses <= {404, 405}, (url, statuses)
        checked += 1
    assert checked >= 10
