"""Bad input is a 4xx naming what was wrong, never a 500: huge page numbers on every list page
and every paginated API list, deeply nested JSON to every API write, absurdly long query
values. Over real HTTP (a live server), as an attacker would send them."""

from __future__ import annotations

import pytest
import requests
from django.test import Client
from django.urls import URLResolver, get_resolver

from wangge.cases.tests.conftest import Api

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HUGE = "99999999999999999999"
DEEP_LIST = "[" * 10_000 + "]" * 10_000
DEEP_OBJECT = '{"a":' * 900 + "1" + "}" * 900


def _plain_routes() -> list[str]:
    """Every URL of the site without a path parameter (the list pages among them)."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                route = prefix + str(pattern.pattern)
                if "<" not in route and "(?P" not in route and "^" not in route:
                    found.append("/" + route)

    walk(get_resolver().url_patterns)
    return sorted({r for r in found if not r.startswith(("/admin/", "/logout/"))})


def _api_operations(method: str) -> list[tuple[str, dict]]:
    """The API's operations of one method without path parameters, from its OpenAPI document
    (so a new endpoint is walked too)."""
    from wangge.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return [(path, operation) for path, item in schema["paths"].items()
            for verb, operation in item.items() if verb == method and "{" not in path]


def _paginated() -> list[str]:
    return [path for path, operation in _api_operations("get")
            if any(p["name"] == "page" for p in operation.get("parameters", []))]


@pytest.fixture
def session(live_server, users):
    """A browser-like session of a district operator (session cookie and CSRF token)."""
    client = Client()
    client.force_login(users["district"])
    http = requests.Session()
    http.cookies.set("sessionid", client.cookies["sessionid"].value)
    http.get(f"{live_server.url}/cases/", timeout=30)
    http.headers["X-CSRFToken"] = http.cookies.get("csrftoken", "")
    return http


def test_the_paginated_api_lists_are_known():
    assert {"/api/v1/people", "/api/v1/cases", "/api/v1/areas", "/api/v1/buildings",
            "/api/v1/organisations"} <= set(_paginated())


def test_huge_page_numbers_on_every_list(live_server, users, session):
    api = Api(live_server.url, users["district"])
    for path in _paginated():
        response = api.session.get(live_server.url + path, params={"page": HUGE}, timeout=30)
        assert response.status_code == 400, (path, response.status_code, response.text[:300])
        body = response.json()
        assert body["code"] == "bad_request" and body["parameter"] == "page", path
        # the largest page allowed is an empty page, not an error
        response = api.session.get(live_server.url + path, params={"page": "1000000"},
                                   timeout=30)
        assert response.status_code == 200, (path, response.text[:300])
        assert response.json()["results"] == [], path
    for path in _plain_routes():
        for page in (HUGE, "-" + HUGE, "1e400", "9" * 400):
            response = session.get(live_server.url + path, params={"page": page}, timeout=30,
                                   allow_redirects=False)
            assert response.status_code < 500, (path, page, response.status_code)
        response = session.get(live_server.url + path, params={"page": HUGE}, timeout=30,
                               allow_redirects=False)
        if response.status_code != 405:
            assert response.status_code == 400, (path, response.status_code)
            assert "page" in response.text


def test_deeply_nested_json_to_every_api_write_is_a_400(live_server, users):
    api = Api(live_server.url, users["district"])
    operations = [(path, operation) for method in ("post", "put", "patch")
                  for path, operation in _api_operations(method) if "requestBody" in operation]
    assert len(operations) >= 3
    for path, _operation in operations:
        response = api.session.post(live_server.url + path, data=DEEP_LIST, timeout=60,
                                    headers={"Content-Type": "application/json"})
        # 400 where the body is JSON; 422 (fields missing) where the endpoint takes a form
        assert response.status_code in (400, 422), (path, response.status_code,
                                                    response.text[:300])
        if response.status_code == 400:
            assert response.json() == {"code": "too_deep",
                                       "message": "The request body is nested too deeply."}
        # nested just under Python's limit: parsed, then judged like any other body
        response = api.session.post(live_server.url + path, data=DEEP_OBJECT, timeout=60,
                                    headers={"Content-Type": "application/json"})
        assert response.status_code < 500, (path, response.status_code, response.text[:300])


def test_a_broken_json_body_says_where(live_server, users):
    api = Api(live_server.url, users["district"])
    response = api.session.post(f"{live_server.url}/api/v1/people", data='{"name": "x",}',
                                headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_json"
    assert "line 1, column 14" in response.json()["message"]


def test_an_oversized_body_is_a_413_in_the_api_format(live_server, users):
    api = Api(live_server.url, users["district"])
    huge = "x" * 3_000_000
    for response in (
            api.session.post(f"{live_server.url}/api/v1/people", json={"name": huge},
                             timeout=60),
            api.session.post(f"{live_server.url}/api/v1/cases",
                             data={"description": huge, "category": "0101"}, timeout=60)):
        assert response.status_code == 413, response.text[:300]
        assert response.json()["code"] == "too_large"
    response = api.session.post(f"{live_server.url}/api/v1/cases",
                                data={f"f{i}": "1" for i in range(1200)}, timeout=60)
    assert response.status_code == 400 and response.json()["code"] == "bad_request"


def test_deeply_nested_json_to_every_page_is_never_a_500(live_server, session):
    for path in _plain_routes():
        response = session.post(live_server.url + path, data=DEEP_LIST, timeout=60,
                                headers={"Content-Type": "application/json"},
                                allow_redirects=False)
        assert response.status_code < 500, (path, response.status_code, response.text[:300])


def test_absurdly_long_query_values_are_a_400_naming_the_parameter(live_server, users,
                                                                   session):
    long_value = "x" * 60_000  # under the server's 64 KB request line; past SQLite's LIKE limit
    for path in _plain_routes():
        response = session.get(live_server.url + path, params={"q": long_value}, timeout=60,
                               allow_redirects=False)
        assert response.status_code == 400, (path, response.status_code)
        assert "'q'" in response.text, path
        if path.startswith("/api/"):
            assert response.json() == {
                "code": "bad_request", "parameter": "q",
                "message": "The query parameter 'q' is longer than 2000 characters."}
        if path.startswith("/open311/"):
            assert response.json()[0]["code"] == 400
    # Open311 answers in its own format, XML included
    response = requests.get(f"{live_server.url}/open311/v2/requests.xml",
                            params={"service_code": "x" * 5000}, timeout=30)
    assert response.status_code == 400
    assert "<errors><error><code>400</code>" in response.text
    # a long name is refused like a long value
    response = session.get(f"{live_server.url}/cases/?{'k' * 3000}=1", timeout=30)
    assert response.status_code == 400
    # a long but reasonable value is served
    response = session.get(f"{live_server.url}/cases/", params={"q": "水" * 1999},
                           timeout=30)
    assert response.status_code == 200
