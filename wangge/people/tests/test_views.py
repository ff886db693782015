from __future__ import annotations

import pytest
from django.urls import reverse

from wangge.people import services
from wangge.people.models import AccessLog
from wangge.people.tests.conftest import GRID_LIUCHENG, GRID_XIMEI, make_id

NUMBER, OTHER = make_id(seq="555"), make_id(seq="666")
PHONE = "13812345678"


@pytest.fixture
def people(users, territory, tags):
    mine = services.register_person(None, name="林小明", id_number=NUMBER, phone=PHONE,
                                    area=territory[GRID_XIMEI], kind="floating",
                                    tags=[tags["elderly"], tags["drugs"]])
    services.update_person(None, mine, phone="13900001111")
    theirs = services.register_person(None, name="陈大华", id_number=OTHER,
                                      area=territory[GRID_LIUCHENG])
    return {"mine": mine, "theirs": theirs}


def login(client, user):
    client.force_login(user)
    return client


def test_login_required(client, db):
    response = client.get(reverse("people:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_list_and_detail_are_masked(client, users, people):
    login(client, users["ximei"])
    html = client.get(reverse("people:list")).content.decode()
    assert "林小明" in html and "3505**********" in html and "139****1111" in html
    assert NUMBER not in html and "13900001111" not in html
    html = client.get(reverse("people:detail", args=[people["mine"].pk])).content.decode()
    assert "3505**********" + NUMBER[-4:] in html
    for secret in (NUMBER, PHONE, "13900001111", NUMBER[6:14]):
        assert secret not in html
    assert "138****5678" in html  # the history shows the old phone masked
    assert "独居老人" in html and "社区戒毒" not in html  # the sensitive tag is hidden
    assert "reason" not in html  # no reveal form for an ordinary user


def test_sensitive_tags_with_permission(client, users, people, grant):
    login(client, grant(users["ximei"], "view_sensitive_tags"))
    html = client.get(reverse("people:detail", args=[people["mine"].pk])).content.decode()
    assert "社区戒毒" in html
    assert "社区戒毒" in client.get(reverse("people:list")).content.decode()


def test_filters(client, users, people, tags):
    login(client, users["district"])
    url = reverse("people:list")
    names = lambda **q: {n for n in ("林小明", "陈大华")  # noqa: E731
                         if n in client.get(url, q).content.decode()}
    assert names() == {"林小明", "陈大华"}
    assert names(q="小明") == {"林小明"}
    assert names(kind="registered") == {"陈大华"}
    assert names(area="350583002000") == {"陈大华"}
    assert names(tag=tags["elderly"].pk) == {"林小明"}
    assert names(tag=tags["drugs"].pk) == set()  # no permission: the filter finds nothing


def test_another_streets_people_are_invisible(client, users, people):
    login(client, users["ximei"])
    html = client.get(reverse("people:list")).content.decode()
    assert "陈大华" not in html
    theirs = people["theirs"].pk
    assert client.get(reverse("people:detail", args=[theirs])).status_code == 404
    assert client.post(reverse("people:reveal", args=[theirs]),
                       {"reason": "x"}).status_code in (403, 404)
    assert "陈大华" not in client.get(reverse("people:list"),
                                    {"area": "350583002001001"}).content.decode()
    login(client, users["nobody"])
    assert "林小明" not in client.get(reverse("people:list")).content.decode()


def test_reveal(client, users, people, grant):
    url = reverse("people:reveal", args=[people["mine"].pk])
    login(client, users["ximei"])
    assert client.post(url, {"reason": "核查"}).status_code == 403
    assert not AccessLog.objects.exists()
    login(client, grant(users["ximei"], "view_full_id"))
    detail = client.get(reverse("people:detail", args=[people["mine"].pk])).content.decode()
    assert 'name="reason"' in detail and NUMBER not in detail
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and not AccessLog.objects.exists()
    response = client.post(url, {"reason": "入户核查"})
    assert response.status_code == 200 and NUMBER in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert (log.actor_id, log.person_id, log.reason) == (users["ximei"].pk, people["mine"].pk,
                                                         "入户核查")
    assert client.get(url).status_code == 405
