"""Jurisdiction scoping: a street dispatcher sees its street and nothing else, by URL or API."""

import pytest
from django.urls import reverse

from wangge.accounts.services import issue_token

pytestmark = pytest.mark.django_db

XIMEI_GRID = "350583001001001"
LIUCHENG_GRID = "350583002001001"


def login(client, user):
    client.force_login(user)
    return client


def test_pages_inside_the_jurisdiction_open(client, users):
    login(client, users["ximei"])
    response = client.get(reverse("territory:home"))
    assert response.status_code == 302
    assert response.url == reverse("territory:area", args=["350583001000"])
    page = client.get(response.url)
    assert page.status_code == 200
    assert "350583001001" in page.text
    assert "350583002001" not in page.text  # no sibling street in the lists
    assert client.get(reverse("territory:area", args=[XIMEI_GRID])).status_code == 200


@pytest.mark.parametrize("name", ["territory:area", "territory:geojson"])
@pytest.mark.parametrize("code", [LIUCHENG_GRID, "350583002000", "350583000000"])
def test_another_street_is_not_found_by_url(client, users, name, code):
    login(client, users["ximei"])
    assert client.get(reverse(name, args=[code])).status_code == 404


def test_the_map_data_holds_only_the_visible_children(client, users):
    login(client, users["ximei"])
    data = client.get(reverse("territory:geojson", args=["350583001000"])).json()
    codes = sorted(f["properties"]["code"] for f in data["features"])
    assert codes == ["350583001000", "350583001001", "350583001002"]


def test_a_district_operator_sees_everything(client, users):
    login(client, users["district"])
    for code in (XIMEI_GRID, LIUCHENG_GRID, "350583000000"):
        assert client.get(reverse("territory:area", args=[code])).status_code == 200


def test_an_account_without_jurisdiction_sees_nothing(client, users):
    login(client, users["nobody"])
    page = client.get(reverse("territory:home"))
    assert page.status_code == 200
    assert client.get(reverse("territory:area", args=[XIMEI_GRID])).status_code == 404


def test_anonymous_users_are_sent_to_login(client, territory):
    response = client.get(reverse("territory:area", args=[XIMEI_GRID]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- API ---------------------------------------------------------------------------------------
def test_api_lists_only_the_jurisdiction(client, users):
    login(client, users["ximei"])
    data = client.get("/api/v1/areas?page_size=500").json()
    codes = [row["code"] for row in data["results"]]
    assert data["count"] == 7  # the street, 2 villages, 4 grids
    assert all(code.startswith("350583001") for code in codes)
    grids = client.get("/api/v1/areas?level=grid").json()
    assert [r["code"] for r in grids["results"]] == [
        "350583001001001", "350583001001002", "350583001002001", "350583001002002"]


def test_api_detail_of_another_street_is_404_with_a_json_error(client, users):
    login(client, users["ximei"])
    response = client.get(f"/api/v1/areas/{LIUCHENG_GRID}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get(f"/api/v1/areas/{XIMEI_GRID}").json()["level"] == "grid"
    assert client.get("/api/v1/areas?parent=350583002000").status_code == 404
    assert client.get(f"/api/v1/areas/{LIUCHENG_GRID}/geojson").status_code == 404
    assert client.get(f"/api/v1/areas/{LIUCHENG_GRID}/staff").status_code == 404


def test_api_locate_does_not_reveal_grids_outside_the_jurisdiction(client, users):
    login(client, users["ximei"])
    inside = client.get("/api/v1/locate", {"lon": 118.05, "lat": 24.85}).json()
    assert inside["inside"] and inside["grid_code"] == XIMEI_GRID
    other = client.get("/api/v1/locate", {"lon": 118.25, "lat": 24.85}).json()
    assert other["inside"] is False and other["grid_code"] is None


def test_api_errors_are_json_with_a_code(client, users):
    login(client, users["ximei"])
    bad = client.get("/api/v1/locate", {"lon": 181, "lat": 24.85}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert bad.json()["code"] == "bad_request"
    assert "out of range" in bad.json()["message"]
    bad_type = client.get("/api/v1/locate", {"lon": "east", "lat": 24.85})
    assert bad_type.status_code == 422 and bad_type.json()["code"] == "invalid"
    bad_crs = client.get("/api/v1/locate", {"lon": 118.05, "lat": 24.85, "crs": "utm"})
    assert bad_crs.status_code == 400 and "unknown coordinate system" in bad_crs.json()["message"]
    assert client.get("/api/v1/areas?level=street").status_code == 400


def test_api_without_credentials_is_401(client, territory):
    response = client.get("/api/v1/areas")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_api_bearer_token_is_scoped_like_the_session(client, users):
    _, key = issue_token(actor=None, user=users["liucheng"], name="test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get(f"/api/v1/areas/{LIUCHENG_GRID}", **auth).status_code == 200
    assert client.get(f"/api/v1/areas/{XIMEI_GRID}", **auth).status_code == 404
    assert client.get("/api/v1/areas", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_openapi_document_is_served(client, users):
    login(client, users["ximei"])
    doc = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/locate" in doc["paths"]
    assert "/api/v1/areas/{code}" in doc["paths"]


# namespaces whose ``code`` is not an area code: the API (read from its OpenAPI document) and
# city components (a 16-digit component code; scoped in wangge/things/tests)
NOT_AREA_CODES = {"api", "things"}


def _code_routes(patterns, namespaces=()):
    """(view name, kwargs) of every web URL pattern with a ``code`` parameter, recursively.

    The API's routes are left to the OpenAPI document, which names them as clients see them.
    """
    from django.urls import URLResolver

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in NOT_AREA_CODES:
                continue
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from _code_routes(pattern.url_patterns, inner)
            continue
        converters = getattr(pattern.pattern, "converters", None)
        kwargs = set(converters) if converters is not None else set(
            pattern.pattern.regex.groupindex)
        if "code" in kwargs:
            yield ":".join([*namespaces, pattern.name or "?"]), kwargs


def test_every_area_url_is_scoped(client, users, territory, make_user):
    """Every web page and API path that takes an area code: 200 inside the jurisdiction, 404
    for a real grid outside it (as a street leader: every role-restricted page opens)."""
    from django.urls import get_resolver

    assert LIUCHENG_GRID in territory and XIMEI_GRID in territory
    login(client, make_user("ximei-leader", "leader", territory["350583001000"]))
    urls = {}  # url with the code outside → the same url with the code inside
    for name, kwargs in _code_routes(get_resolver().url_patterns):
        assert kwargs == {"code"} and not name.endswith("?"), (
            f"{name} takes {sorted(kwargs)}: extend this test to fill them in")
        urls[reverse(name, kwargs={"code": LIUCHENG_GRID})] = reverse(
            name, kwargs={"code": XIMEI_GRID})
    web = len(urls)
    doc = client.get("/api/v1/openapi.json").json()
    for path, operations in doc["paths"].items():
        if "{code}" not in path or "get" not in operations:
            continue
        assert path.count("{") == 1, f"{path}: extend this test to fill its other parameters"
        urls[path.replace("{code}", LIUCHENG_GRID)] = path.replace("{code}", XIMEI_GRID)
    assert web >= 2 and len(urls) - web >= 3, sorted(urls)
    for outside, inside in urls.items():
        assert client.get(inside).status_code == 200, inside
        assert client.get(outside).status_code == 404, outside
