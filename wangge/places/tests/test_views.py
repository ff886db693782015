"""Pages: scoped by jurisdiction; the public QR page shows no personal data. (Needs
``path("places/", include("wangge.places.urls"))`` in wangge/urls.py.)"""

import pytest
from django.test import override_settings
from django.urls import reverse

from wangge.people.services import id_number_of, masked_id
from wangge.places import services
from wangge.places.models import Residence


@pytest.fixture
def lived_in(buildings, persons, users):
    house = services.create_house(users["ximei"], building=buildings["ximei"], unit_no="1",
                                  room_no="101", owner=persons["li"])
    services.register_residence(users["ximei"], person=persons["zhang"], house=house)
    return house


def login(client, user):
    client.force_login(user)
    return client


def test_lists_and_details_are_scoped(client, buildings, lived_in, users):
    login(client, users["liucheng"])
    page = client.get(reverse("places:buildings")).content.decode()
    assert "建设大厦" in page and "幸福苑3栋" not in page
    for name, args in [("places:building", [buildings["ximei"].pk]),
                       ("places:building-edit", [buildings["ximei"].pk]),
                       ("places:house", [lived_in.pk]),
                       ("places:phone", [buildings["ximei"].qr_token]),
                       ("places:plate", [buildings["ximei"].qr_token])]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert "101" not in client.get(reverse("places:houses")).content.decode()


def test_details_show_residents_masked(client, buildings, lived_in, persons, users):
    login(client, users["ximei"])
    zhang = persons["zhang"]
    for url in (reverse("places:building", args=[buildings["ximei"].pk]),
                reverse("places:house", args=[lived_in.pk]),
                reverse("places:phone", args=[buildings["ximei"].qr_token])):
        page = client.get(url).content.decode()
        assert "张三" in page and masked_id(zhang) in page
        assert id_number_of(zhang) not in page


def test_the_public_qr_page_shows_no_personal_data(client, buildings, lived_in, persons):
    page = client.get(reverse("places:qr", args=[buildings["ximei"].qr_token]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "幸福苑3栋" in text and "1社区1网格" in text
    for person in persons.values():
        assert person.name not in text
        assert masked_id(person) not in text and masked_id(person)[-4:] not in text
    assert "/public/report/?lon=118.050000&amp;lat=24.850000" in text
    assert client.get(reverse("places:qr", args=["nope"])).status_code == 404


def test_the_phone_page_updates_on_the_spot(client, buildings, lived_in, persons, users):
    login(client, users["ximei"])
    url = reverse("places:phone", args=[buildings["ximei"].qr_token])
    response = client.post(url, {"action": "add", "house": lived_in.pk, "tenant": "1",
                                 "id_number": id_number_of(persons["li"])})
    assert response.status_code == 302
    assert Residence.objects.filter(person=persons["li"], house=lived_in, is_tenant=True,
                                    until__isnull=True).exists()
    lived_in.refresh_from_db()
    assert lived_in.usage == "rented"
    zhang_res = Residence.objects.get(person=persons["zhang"])
    client.post(url, {"action": "end", "residence": zhang_res.pk})
    zhang_res.refresh_from_db()
    assert zhang_res.until is not None
    client.post(url, {"action": "usage", "house": lived_in.pk, "usage": "vacant"})
    lived_in.refresh_from_db()
    assert lived_in.usage == "vacant"
    assert not Residence.objects.filter(house=lived_in, until__isnull=True).exists()
    # another street's worker cannot post to it
    login(client, users["liucheng"])
    assert client.post(url, {"action": "usage", "house": lived_in.pk,
                             "usage": "owner"}).status_code == 404


def test_the_plate_has_a_qr_code(client, buildings, users):
    login(client, users["ximei"])
    page = client.get(reverse("places:plate", args=[buildings["ximei"].qr_token]))
    text = page.content.decode()
    assert "<svg" in text and f"/places/qr/{buildings['ximei'].qr_token}/" in text


def test_edit_a_building(client, buildings, std_addresses, users):
    login(client, users["ximei"])
    b = buildings["ximei"]
    response = client.post(reverse("places:building-edit", args=[b.pk]), {
        "name": "幸福苑3栋", "kind": "residential", "floors": "8", "lon": "", "lat": "",
        "grid": "350583001001002", "address": "幸福路12号3栋2单元301"})
    assert response.status_code == 302
    b.refresh_from_db()
    assert b.floors == 8 and b.grid.code == "350583001001002"
    assert b.address == std_addresses["a1"]
    history = client.get(reverse("places:building", args=[b.pk])).content.decode()
    assert "ximei" in history


@override_settings(PLACES_MATCH_THRESHOLD=101)
def test_review_queue_page(client, buildings, std_addresses, users):
    login(client, users["ximei"])
    services.match_address(users["ximei"], "幸福路12号3栋2单元301", building=buildings["ximei"])
    page = client.get(reverse("places:review")).content.decode()
    assert "幸福路12号3栋2单元301" in page
    from wangge.places.models import AddressMatch

    match = AddressMatch.objects.get()
    client.post(reverse("places:review-decide", args=[match.pk]), {"decision": "accept"})
    buildings["ximei"].refresh_from_db()
    assert buildings["ximei"].address == std_addresses["a1"]
    login(client, users["liucheng"])
    assert "幸福路12号" not in client.get(reverse("places:review")).content.decode()


def test_readers_see_buildings_but_may_not_change_them(client, buildings, make_user, territory):
    from wangge.accounts.choices import Role

    building = buildings["ximei"]
    client.force_login(make_user("leader-x", Role.LEADER, territory["350583000000"]))
    phone = reverse("places:phone", args=[building.qr_token])
    page = client.get(phone)
    assert page.status_code == 200 and b'name="action"' not in page.content
    assert client.post(phone, {"action": "usage", "house": "1", "usage": "vacant"}
                       ).status_code == 403
    assert client.get(reverse("places:building-edit", args=[building.pk])).status_code == 403
    detail = client.get(reverse("places:building", args=[building.pk]))
    assert reverse("places:building-edit", args=[building.pk]).encode() not in detail.content


def test_a_grid_worker_finds_buildings_on_the_phone_and_from_the_door_plate(
        client, buildings, make_user, territory, users):
    from wangge.accounts.choices import Role

    worker = make_user("gw-x", Role.GRID_WORKER, territory["350583001001001"])
    ximei, liucheng = buildings["ximei"], buildings["liucheng"]
    client.force_login(worker)
    page = client.get(reverse("places:phone-list"))
    assert page.status_code == 200
    phone = reverse("places:phone", args=[ximei.qr_token]).encode()
    assert phone in page.content
    assert reverse("places:phone", args=[liucheng.qr_token]).encode() not in page.content
    assert phone not in client.get(reverse("places:phone-list"), {"q": "没有这栋"}).content
    assert phone in client.get(reverse("places:phone-list"), {"q": ximei.name[:3]}).content
    # the door plate's public page leads a worker of the building's grid on to its residents
    assert phone in client.get(reverse("places:qr", args=[ximei.qr_token])).content
    other = reverse("places:phone", args=[liucheng.qr_token]).encode()
    assert other not in client.get(reverse("places:qr", args=[liucheng.qr_token])).content
    client.logout()
    assert phone not in client.get(reverse("places:qr", args=[ximei.qr_token])).content
