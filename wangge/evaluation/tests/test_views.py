"""The pages: login required, scoped to the jurisdiction, formulas on hover, appeals."""

import datetime as dt

import pytest
from django.urls import reverse

from wangge.evaluation import services
from wangge.evaluation.models import Appeal, Scheme

pytestmark = pytest.mark.django_db

COUNTY = "350583000000"
MARCH = dt.date(2026, 3, 15)


@pytest.fixture
def areas(march, people, territory):
    s = Scheme(name="区域考核", target_kind="area", area=territory[COUNTY],
               weights={"area_closure_rate": 60, "area_satisfaction": 40}, default_min_volume=1)
    s.full_clean()
    s.save()
    return services.compute(actor=people["center"], scheme=s, period_kind="month", day=MARCH)


def login(client, user):
    client.force_login(user)
    return client


def test_login_required(client, areas):
    for url in (reverse("evaluation:schemes"), reverse("evaluation:results", args=[areas.pk]),
                reverse("evaluation:help")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_results_are_scoped(client, areas, people):
    url = reverse("evaluation:results", args=[areas.pk])
    page = login(client, people["center"]).get(url).content.decode()
    assert "溪美街道" in page and "柳城街道" in page
    assert "closed ÷" in page or "结案" in page  # the formula on hover (title)
    page = login(client, people["comm2"]).get(url).content.decode()
    assert "柳城街道1社区" in page and "溪美街道1社区" not in page
    ranking = login(client, people["comm"]).get(reverse("evaluation:ranking",
                                                        args=[areas.pk]) + "?group=3")
    assert ranking.status_code == 200
    text = ranking.content.decode()
    assert "溪美街道1社区" in text and "柳城街道" not in text


def test_scheme_outside_the_jurisdiction_is_404(client, people, territory):
    s = Scheme.objects.create(name="柳城考核", target_kind="area",
                              area=territory["350583002000"], weights={"area_closure_rate": 100})
    evaluation = services.compute(actor=None, scheme=s, period_kind="month", day=MARCH)
    assert login(client, people["comm"]).get(
        reverse("evaluation:results", args=[evaluation.pk])).status_code == 404
    assert "柳城考核" not in client.get(reverse("evaluation:schemes")).content.decode()
    assert "柳城考核" in login(client, people["comm2"]).get(
        reverse("evaluation:schemes")).content.decode()


def test_help_lists_every_formula(client, people):
    from wangge.evaluation.indicators import INDICATORS

    page = login(client, people["gw"]).get(reverse("evaluation:help")).content.decode()
    for indicator in INDICATORS:
        assert indicator.code in page


def test_compute_publish_appeal_decide_through_the_pages(client, areas, people, territory):
    community = areas.results.get(area=territory["350583001001"])
    # compute and publish are for supervisors
    assert login(client, people["comm"]).post(
        reverse("evaluation:publish", args=[areas.pk])).status_code == 302
    areas.refresh_from_db()
    assert not areas.is_published
    login(client, people["center"]).post(reverse("evaluation:publish", args=[areas.pk]))
    areas.refresh_from_db()
    assert areas.is_published
    # the community's dispatcher appeals its community's result
    url = reverse("evaluation:appeal", args=[community.pk])
    assert login(client, people["gw"]).get(url).status_code == 404
    client.force_login(people["comm"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "D 尚在处置时限内", "cases": "X9"})
    assert "X9" in response.content.decode()  # unknown case: the form again, with the error
    response = client.post(url, {"reason": "D 应由上级处置", "cases": f"{_number(areas, 'D')}"})
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert client.get(reverse("evaluation:appeals")).content.decode().count(
        "Accept and recompute") + client.get(reverse("evaluation:appeals")).content.decode(
    ).count("采纳") == 0  # the filer cannot decide
    client.force_login(people["center"])
    assert "decision" in client.get(reverse("evaluation:appeals")).content.decode()
    client.post(reverse("evaluation:decide", args=[appeal.pk]), {"decision": "accept"})
    appeal.refresh_from_db()
    community.refresh_from_db()
    assert appeal.state == "accepted" and community.excluded_cases
    # compute through the page (a new period)
    s = areas.scheme
    response = client.post(reverse("evaluation:compute", args=[s.pk]),
                           {"period_kind": "quarter", "day": "2026-03-01"})
    assert response.status_code == 302
    assert s.evaluations.filter(period_kind="quarter").exists()


def _number(evaluation, key):
    from wangge.cases.models import Case

    return Case.objects.get(report_date=dt.date(2026, 3, 30)).number
