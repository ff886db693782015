"""Who may open the cockpit, for which areas, and the shape of its JSON."""

import pytest
from django.urls import reverse

from wangge.cockpit.tests.conftest import COUNTY, LIUCHENG, XIMEI

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def test_anonymous_users_are_sent_to_log_in(client, territory):
    response = client.get(reverse("cockpit:home"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.get(reverse("cockpit:data", args=[COUNTY]))
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["street", "gw", "cg", "inspector"])
def test_other_roles_get_a_clear_403(client, people, who):
    c = client_for(client, people[who])
    page = c.get(reverse("cockpit:home"))
    assert page.status_code == 403
    assert "leaders, command-center operators and administrators" in page.content.decode() or \
        "领导" in page.content.decode()
    assert c.get(reverse("cockpit:area", args=[XIMEI])).status_code == 403
    data = c.get(reverse("cockpit:data", args=[XIMEI]))
    assert data.status_code == 403 and "error" in data.json()


@pytest.mark.parametrize("who", ["leader", "center"])
def test_leaders_and_operators_are_sent_to_their_jurisdiction(client, people, who):
    response = client_for(client, people[who]).get(reverse("cockpit:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cockpit:area", args=[COUNTY])


def test_the_page_is_the_frame_and_says_how_rates_are_counted(client, people):
    page = client_for(client, people["leader"]).get(reverse("cockpit:area", args=[COUNTY]))
    assert page.status_code == 200
    html = page.content.decode()
    for needle in ("echarts.min.js", "leaflet.js", "cockpit.js", 'id="ck-config"',
                   'data-state="loading"', "/cockpit/350583000000/data.json?days=30"):
        assert needle in html
    # the formula is in the tile's tooltip (in whichever language is active)
    assert html.count('class="ck-kpi') >= 6 and ("÷" in html)
    assert "http://" not in html.replace("http://www.w3.org", "")  # no remote assets


def test_a_township_leader_sees_only_the_township(client, cases_set, territory, make_user):
    c = client_for(client, make_user("ximei-leader", "leader", territory[XIMEI]))
    assert c.get(reverse("cockpit:home"))["Location"] == reverse("cockpit:area", args=[XIMEI])
    data = c.get(reverse("cockpit:data", args=[XIMEI])).json()
    assert data["kpis"]["open"] == 3
    assert [a["code"] for a in data["path"]] == [XIMEI]  # the county is not theirs to see
    assert [ch["code"] for ch in data["children"]] == ["350583001001", "350583001002"]
    assert c.get(reverse("cockpit:area", args=[LIUCHENG])).status_code == 404
    assert c.get(reverse("cockpit:data", args=[LIUCHENG])).status_code == 404
    assert c.get(reverse("cockpit:data", args=[COUNTY])).status_code == 404
    assert c.get(reverse("cockpit:area", args=["350583001001001"])).status_code == 200


def test_the_json_shape(client, cases_set, people):
    response = client_for(client, people["leader"]).get(
        reverse("cockpit:data", args=[COUNTY]), {"days": "90"})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    data = response.json()
    assert set(data) >= {"area", "path", "period", "now", "kpis", "children", "child_level",
                         "departments", "categories", "sources", "trend_daily",
                         "trend_monthly", "refresh_seconds"}
    assert data["area"] == {"code": COUNTY, "name": "南安市", "level": 1,
                            "level_label": data["area"]["level_label"]}
    assert data["period"]["days"] == 90 and data["refresh_seconds"] == 60
    assert set(data["kpis"]) >= {"today_reports", "open", "overdue", "closure_rate",
                                 "on_time_rate", "satisfaction_rate", "reported", "closed",
                                 "due", "on_time", "rated", "satisfied"}
    child = data["children"][0]
    assert set(child) >= {"code", "name", "level", "lon", "lat", "open", "overdue",
                          "reported", "closure_rate", "on_time_rate"}
    assert data["child_level"] == 2
    assert len(data["trend_daily"]["dates"]) == len(data["trend_daily"]["reported"]) == 30
    assert len(data["trend_monthly"]["months"]) == 12
    for item in data["categories"] + data["sources"]:
        assert set(item) == {"code", "name", "count"}
    # an unknown period falls back to 30 days
    data = client.get(reverse("cockpit:data", args=[COUNTY]), {"days": "9999"}).json()
    assert data["period"]["days"] == 30


def test_the_map_shapes(client, people):
    geo = client_for(client, people["leader"]).get(reverse("cockpit:geo", args=[COUNTY])).json()
    roles = [(f["properties"]["code"], f["properties"]["role"]) for f in geo["features"]]
    assert roles == [(COUNTY, "self"), (XIMEI, "child"), (LIUCHENG, "child")]
    grid = client.get(reverse("cockpit:geo", args=["350583001001001"])).json()
    assert [f["properties"]["role"] for f in grid["features"]] == ["leaf"]


def test_the_cockpit_offers_the_early_warnings_strip(client, territory, make_user):
    from django.urls import reverse

    boss = make_user("boss-w", "leader", territory["350583000000"])
    client.force_login(boss)
    page = client.get("/cockpit/350583000000/").text
    assert 'id="ck-warnings"' in page
    assert f'data-url="{reverse("analytics:warnings_json")}"' in page
    assert 'data-prefix="350583"' in page
    assert client.get(reverse("analytics:warnings_json")).status_code == 200
