"""The security headers over real HTTP: a Content-Security-Policy on every response, and
``Cache-Control: no-store`` on personal data (pages, API, reveal, exports), so that no browser
or proxy keeps a copy; static files stay cacheable."""

from __future__ import annotations

import pytest
import requests
from django.test import Client

from wangge.cases.tests.conftest import Api
from wangge.people.tests.conftest import make_id

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NUMBER = make_id("19760315", "247")
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: blob:; connect-src 'self'; media-src 'self' blob:; "
          "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'")


@pytest.fixture
def person(territory):
    from wangge.people.services import register_person

    return register_person(None, name="林秀英", id_number=NUMBER,
                           phone="13712345678", area=territory["350583001001001"])


@pytest.fixture
def browser_session(live_server, users):
    client = Client()
    client.force_login(users["ximei"])
    http = requests.Session()
    http.cookies.set("sessionid", client.cookies["sessionid"].value)
    return http


def _private(response):
    assert "no-store" in response.headers.get("Cache-Control", ""), (
        response.url, response.status_code, response.headers.get("Cache-Control"))
    assert response.headers.get("Pragma") == "no-cache", response.url


def test_personal_data_pages_and_api_are_not_stored(live_server, users, person,
                                                   browser_session):
    from django.contrib.auth.models import Permission

    base = live_server.url
    for path in ("/people/", f"/people/{person.pk}/", "/places/", "/places/houses/",
                 "/organisations/", "/cases/", "/m/", "/command/", "/territory/",
                 "/people/export/?format=csv", "/inbox/"):
        response = browser_session.get(base + path, timeout=30, allow_redirects=False)
        assert response.status_code < 500, path
        _private(response)
        assert response.headers["Content-Security-Policy"] == POLICY, path

    users["ximei"].user_permissions.add(Permission.objects.get(codename="view_full_id"))
    api = Api(base, users["ximei"])
    for path in ("/api/v1/people", f"/api/v1/people/{person.pk}", "/api/v1/cases",
                 "/api/v1/areas"):
        response = api.session.get(base + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
        _private(response)
    response = api.session.post(f"{base}/api/v1/people/{person.pk}/reveal",
                                json={"reason": "核对身份"}, timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["id_number"] == NUMBER
    _private(response)
    # a refusal is not stored either
    response = requests.get(f"{base}/api/v1/people", timeout=30)
    assert response.status_code == 401
    _private(response)


def test_every_response_has_the_policy_and_static_files_stay_cacheable(live_server,
                                                                         territory):
    base = live_server.url
    for path in ("/public/", "/login/", "/open311/v2/services.json", "/healthz",
                 "/does-not-exist/"):
        response = requests.get(base + path, timeout=30, allow_redirects=False)
        assert response.headers["Content-Security-Policy"] == POLICY, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
    assert requests.get(base + "/public/", timeout=30).headers["X-Frame-Options"] == "DENY"
    # the public tracking page shows one resident's case: not stored
    _private(requests.get(f"{base}/public/track/", timeout=30))
    static = requests.get(f"{base}/static/wangge/core/forms.js", timeout=30)
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")
    assert "Pragma" not in static.headers
