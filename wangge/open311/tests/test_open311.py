"""Open311 GeoReport v2 over real HTTP, in both formats: discovery, services, POST and GET of
requests, every error, filters and pagination, and a full life cycle worked in the platform."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from wangge.cases import services as case_services
from wangge.cases.choices import Source
from wangge.cases.models import Case
from wangge.cases.tests.conftest import GRID, GRID_POINT
from wangge.open311.models import ApiClient, ServiceAttribute, ServiceRequest
from wangge.open311.services import iso, issue_key, redact

LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)
LON, LAT = GRID_POINT
CONTENT_TYPES = {"json": "application/json", "xml": "application/xml"}
FORMATS = ["json", "xml"]


LIST_TAGS = {"services", "service_requests", "errors", "endpoints", "formats", "attributes",
             "values", "notes"}


def as_data(node):
    """An ElementTree node as plain data: text, a dict of children, or a list of items."""
    if node.tag in LIST_TAGS:
        return [as_data(child) for child in node]
    children = list(node)
    if not children:
        return node.text
    return {child.tag: as_data(child) for child in children}


class Open311:
    """A real HTTP client for /open311/v2/; answers are checked for format and parsed."""

    def __init__(self, base: str, language: str = "en"):
        self.base = base.rstrip("/") + "/open311/v2/"
        self.headers = {"Accept-Language": language}

    def _check(self, response, fmt, expect):
        assert response.status_code == expect, (response.request.method, response.url,
                                                response.status_code, response.text[:600])
        assert response.headers["Content-Type"].startswith(CONTENT_TYPES[fmt])
        if fmt == "json":
            return response.json()
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<')
        return ET.fromstring(response.content)

    def get(self, resource, fmt="json", expect=200, **params):
        response = requests.get(f"{self.base}{resource}.{fmt}", params=params,
                                headers=self.headers, timeout=30)
        return self._check(response, fmt, expect)

    def post(self, fmt="json", expect=201, headers=None, **data):
        response = requests.post(f"{self.base}requests.{fmt}", data=data,
                                 headers=self.headers | (headers or {}), timeout=30)
        return self._check(response, fmt, expect)

    def data(self, resource, fmt="json", expect=200, **params):
        """GET as plain data, whatever the format (XML converted to lists and dicts)."""
        body = self.get(resource, fmt, expect, **params)
        return body if fmt == "json" else as_data(body)


def items(body, fmt):
    """The service_requests (or errors) of an answer as a list of dicts."""
    return body if fmt == "json" else as_data(body)


def errors(body, fmt):
    if fmt == "xml":
        assert body.tag == "errors"
        assert all(e.tag == "error" for e in body)
    found = [(int(e["code"]), e["description"]) for e in items(body, fmt)]
    assert found and all(description for _, description in found)
    return found


@pytest.fixture
def o311(live_server):
    return Open311(live_server.url)


@pytest.fixture
def key(db):
    _, key = issue_key(name="12345热线", source=Source.HOTLINE)
    return key


@pytest.fixture
def questions(db):
    """Extra questions for 0101 暴露垃圾."""
    from wangge.cases.models import Category

    category = Category.objects.get(code="0101")
    size = ServiceAttribute.objects.create(
        category=category, code="size", datatype="singlevaluelist", required=True,
        description="垃圾面积", order=1,
        values=[{"key": "s", "name": "小于1平方米"}, {"key": "l", "name": "1平方米以上"}])
    count = ServiceAttribute.objects.create(
        category=category, code="bags", datatype="number", required=False,
        description="大约几袋", order=2)
    kinds = ServiceAttribute.objects.create(
        category=category, code="kinds", datatype="multivaluelist", description="垃圾种类",
        order=3, values=[{"key": "food", "name": "厨余"}, {"key": "build", "name": "建筑"}])
    return [size, count, kinds]


def post_fields(key, **extra):
    fields = {"api_key": key, "service_code": "0102", "lat": str(LAT), "long": str(LON),
              "description": "路边积存垃圾渣土，请尽快清运", "first_name": "小明",
              "last_name": "王", "phone": "13812345678", "email": "wang@example.com",
              "device_id": "dev-1", "account_id": "acct-9", "address_string": "溪美街道滨江路1号",
              "media_url": "https://img.example.com/a.jpg"}
    fields.update(extra)
    return {k: v for k, v in fields.items() if v is not None}


# --- discovery and services -----------------------------------------------------------------------


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(o311, live_server, fmt):
    body = o311.data("discovery", fmt)
    assert body["changeset"].endswith("+08:00")
    assert body["key_service"]
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == live_server.url + "/open311/v2/"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["application/xml", "application/json"]


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_the_active_minor_categories(o311, questions, fmt):
    from wangge.cases.models import Category

    Category.objects.filter(code="0103").update(is_active=False)
    services = o311.data("services", fmt)
    by_code = {s["service_code"]: s for s in services}
    assert len(by_code) == Category.objects.filter(parent__isnull=False, is_active=True).count()
    assert "01" not in by_code and "0103" not in by_code
    garbage = by_code["0101"]
    assert garbage["service_name"] == "暴露垃圾"
    assert garbage["group"] == "市容环境"
    assert garbage["type"] == "realtime"
    assert "面积大于0.5平方米" in garbage["description"]
    assert "市容环境" in garbage["keywords"]
    assert garbage["metadata"] in (True, "true")
    assert by_code["0102"]["metadata"] in (False, "false")


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_with_attributes(o311, questions, fmt):
    body = o311.get("services/0101", fmt)
    if fmt == "xml":
        assert body.tag == "service_definition"
        assert body.findtext("service_code") == "0101"
        attributes = body.findall("attributes/attribute")
        assert [a.findtext("code") for a in attributes] == ["size", "bags", "kinds"]
        size = attributes[0]
        assert size.findtext("datatype") == "singlevaluelist"
        assert size.findtext("required") == "true"
        assert size.findtext("variable") == "true"
        assert [(v.findtext("key"), v.findtext("name")) for v in size.findall(
            "values/value")] == [("s", "小于1平方米"), ("l", "1平方米以上")]
        assert attributes[1].findtext("required") == "false"
        return
    assert body["service_code"] == "0101"
    assert [a["code"] for a in body["attributes"]] == ["size", "bags", "kinds"]
    size, bags, _ = body["attributes"]
    assert size == {"variable": True, "code": "size", "datatype": "singlevaluelist",
                    "required": True, "datatype_description": None, "order": 1,
                    "description": "垃圾面积",
                    "values": [{"key": "s", "name": "小于1平方米"},
                               {"key": "l", "name": "1平方米以上"}]}
    assert bags["datatype"] == "number" and bags["values"] == []
    # a service without questions has an empty definition; an unknown one is a 404
    assert o311.get("services/0102", fmt)["attributes"] == []


# --- POST -----------------------------------------------------------------------------------------


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_a_case_from_the_keys_channel(o311, people, key, fmt):
    body = o311.post(fmt, **post_fields(key))
    [item] = items(body, fmt)
    if fmt == "xml":
        assert body.tag == "service_requests" and body[0].tag == "request"
    case = Case.objects.get(number=item["service_request_id"])
    assert item["token"] == case.tracking_token
    assert item["account_id"] == "acct-9"
    assert item["service_notice"]
    assert case.source == Source.HOTLINE
    assert case.tier == "district"  # a hotline report goes to the center
    assert case.grid.code == GRID
    assert case.reporter_name == "王小明" and case.reporter_phone == "13812345678"
    assert case.address == "溪美街道滨江路1号"
    assert case.events.get().actor_label == "12345热线"  # not the reporter's name
    sent = ServiceRequest.objects.get(case=case)
    assert (sent.email, sent.device_id, sent.client.name) == ("wang@example.com", "dev-1",
                                                              "12345热线")
    assert ApiClient.objects.get().last_used_at is not None
    # the public GET shows the request without any personal data
    [shown] = items(o311.get(f"requests/{case.number}", fmt), fmt)
    assert shown["status"] == "open"
    assert shown["media_url"] == "https://img.example.com/a.jpg"
    text = str(shown)
    for secret in ("王小明", "小明", "13812345678", "wang@example.com", "dev-1", "acct-9",
                   case.tracking_token):
        assert secret not in text
    # the token leads to the request
    [by_token] = items(o311.get(f"tokens/{case.tracking_token}", fmt), fmt)
    assert by_token == {"service_request_id": case.number, "token": case.tracking_token}


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_attributes_stores_the_answers(o311, people, key, questions, fmt):
    fields = post_fields(key, service_code="0101", description="垃圾堆在门口")
    fields.update({"attribute[size]": "l", "attribute[bags]": "3",
                   "attribute[kinds][]": ["food", "build"]})
    [item] = items(o311.post(fmt, **fields), fmt)
    case = Case.objects.get(number=item["service_request_id"])
    assert case.open311.attributes == {"size": "l", "bags": "3", "kinds": ["food", "build"]}
    assert case.description.startswith("垃圾堆在门口\n\n【")
    assert "垃圾面积: 1平方米以上" in case.description
    assert "垃圾种类: 厨余、建筑" in case.description


@LIVE
def test_post_is_idempotent_with_a_key(o311, people, key):
    fields = post_fields(key)
    first = o311.post("json", headers={"Idempotency-Key": "abc-1"}, **fields)
    again = o311.post("json", expect=200, headers={"Idempotency-Key": "abc-1"}, **fields)
    assert first[0]["service_request_id"] == again[0]["service_request_id"]
    assert Case.objects.count() == 1
    # the same key from another client is another request
    _, other = issue_key(name="小程序", source=Source.RESIDENT)
    o311.post("json", headers={"Idempotency-Key": "abc-1"}, **post_fields(other))
    assert Case.objects.count() == 2


# --- errors ---------------------------------------------------------------------------------------


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_errors(o311, people, key, questions, fmt):
    def refused(expect, **fields):
        return errors(o311.post(fmt, expect=expect, **fields), fmt)

    without_key = post_fields(key)
    del without_key["api_key"]
    [(code, text)] = refused(403, **without_key)
    assert code == 403 and "api_key" in text
    [(code, text)] = refused(403, **post_fields("o311_not-a-key"))
    assert code == 403 and "Invalid api_key" in text
    _, disabled = issue_key(name="old", source=Source.RESIDENT)
    ApiClient.objects.filter(name="old").update(is_active=False)
    assert refused(403, **post_fields(disabled))[0][0] == 403

    [(code, text)] = refused(400, **post_fields(key, service_code="9999"))
    assert code == 400 and "9999" in text
    assert "service_code" in refused(400, **post_fields(key, service_code=None))[0][1]
    assert refused(400, **post_fields(key, service_code="01"))[0][0] == 400  # a 大类
    [(_, text)] = refused(400, **post_fields(key, lat="north"))
    assert "lat and long" in text
    [(_, text)] = refused(400, **post_fields(key, lat="95"))
    assert "out of range" in text
    [(_, text)] = refused(400, **post_fields(key, long=None))
    assert "both lat and long" in text
    [(_, text)] = refused(400, **post_fields(key, lat=None, long=None))
    assert "address_string" in text
    [(_, text)] = refused(400, **post_fields(key, lat=None, long=None, address_string=None))
    assert "location is required" in text
    [(_, text)] = refused(400, **post_fields(key, lat="39.9", long="116.4"))  # Beijing
    assert "outside the jurisdiction" in text
    [(_, text)] = refused(400, **post_fields(key, lat=None, long=None, address_id="123"))
    assert "123" in text
    [(_, text)] = refused(400, **post_fields(key, service_code="0101"))
    assert "size" in text and "required" in text
    found = refused(400, **post_fields(key, service_code="0101", **{
        "attribute[size]": "xl", "attribute[bags]": "many", "attribute[colour]": "red"}))
    texts = " ".join(t for _, t in found)
    assert len(found) == 3 and "xl" in texts and "number" in texts and "colour" in texts
    [(_, text)] = refused(400, **post_fields(key, description=" "))
    assert "description" in text
    [(_, text)] = refused(400, **post_fields(key, email="not-mail"))
    assert "email" in text
    [(_, text)] = refused(400, **post_fields(key, media_url="javascript:alert(1)"))
    assert "media_url" in text
    assert Case.objects.count() == 0


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_get_errors(o311, people, fmt):
    [(code, text)] = errors(o311.get("requests/2099010100001", fmt, expect=404), fmt)
    assert code == 404 and "2099010100001" in text
    assert errors(o311.get("tokens/nope", fmt, expect=404), fmt)[0][0] == 404
    assert errors(o311.get("services/9999", fmt, expect=404), fmt)[0][0] == 404
    [(code, text)] = errors(o311.get("requests", fmt, expect=400, start_date="yesterday"), fmt)
    assert code == 400 and "start_date" in text
    [(_, text)] = errors(o311.get("requests", fmt, expect=400,
                                  start_date="2025-01-01T00:00:00+08:00",
                                  end_date="2025-06-01T00:00:00+08:00"), fmt)
    assert "90 days" in text
    [(_, text)] = errors(o311.get("requests", fmt, expect=400,
                                  start_date="2025-02-01T00:00:00Z",
                                  end_date="2025-01-01T00:00:00Z"), fmt)
    assert "before" in text
    assert "status" in errors(o311.get("requests", fmt, expect=400, status="done"), fmt)[0][1]
    assert "9999" in errors(o311.get("requests", fmt, expect=400, service_code="9999"),
                            fmt)[0][1]
    assert "page_size" in errors(o311.get("requests", fmt, expect=400, page_size="5000"),
                                 fmt)[0][1]
    # an unknown resource, and a method the resource does not have
    response = requests.get(f"{o311.base}nothing.{fmt}", timeout=30)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith(CONTENT_TYPES[fmt])
    response = requests.delete(f"{o311.base}requests.{fmt}", timeout=30)
    assert response.status_code == 405


# --- GET filters and pagination -------------------------------------------------------------------


def make_case(code="0101", days_ago=0.0, point=GRID_POINT, description="测试"):
    now = timezone.now() - dt.timedelta(days=days_ago)
    return case_services.report(actor=None, category=code, description=description,
                                source=Source.RESIDENT, lon=point[0], lat=point[1], now=now)


def numbers(body, fmt):
    return [i["service_request_id"] for i in items(body, fmt)]


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_filters_and_pagination(o311, people, fmt):
    old = make_case(days_ago=120)
    a = make_case("0101", days_ago=10)
    b = make_case("0102", days_ago=5, point=(118.25, 24.85))
    c = make_case("0101", days_ago=1, point=(118.15, 24.95))
    private = make_case("1210", days_ago=1)  # 出租房屋未登记: never published
    case_services.reject(actor=people["comm"], case=a, note="不属于受理范围")

    # the default window is the last 90 days, newest first
    assert numbers(o311.get("requests", fmt), fmt) == [c.number, b.number, a.number]
    assert numbers(o311.get("requests", fmt, service_code="0101"), fmt) == [c.number, a.number]
    assert numbers(o311.get("requests", fmt, service_code="0101,0102", status="open"),
                   fmt) == [c.number, b.number]
    closed = items(o311.get("requests", fmt, status="closed"), fmt)
    assert [i["service_request_id"] for i in closed] == [a.number]
    assert closed[0]["status_notes"] == "Not filed"  # a generic text, never the staff's note
    # an explicit window: old cases are there, with the window's limit of 90 days
    start = iso(timezone.now() - dt.timedelta(days=130))
    end = iso(timezone.now() - dt.timedelta(days=60))
    assert numbers(o311.get("requests", fmt, start_date=start, end_date=end), fmt) == [
        old.number]
    assert numbers(o311.get("requests", fmt, start_date=start), fmt) == [old.number]
    assert numbers(o311.get("requests", fmt, end_date=iso(timezone.now() - dt.timedelta(
        days=3))), fmt) == [b.number, a.number]
    # a date alone, and a '+' sent unencoded (it arrives as a space)
    day = (timezone.localdate() - dt.timedelta(days=6)).isoformat()
    assert numbers(o311.get("requests", fmt, start_date=day), fmt) == [c.number, b.number]
    response = requests.get(f"{o311.base}requests.{fmt}?start_date={day}T00:00:00+08:00",
                            timeout=30)
    assert response.status_code == 200
    # service_request_id overrides every other filter; private and unknown ids are left out
    ids = f"{old.number},{b.number},{private.number},nope"
    assert numbers(o311.get("requests", fmt, service_request_id=ids, service_code="0101"),
                   fmt) == [b.number, old.number]
    o311.get(f"requests/{private.number}", fmt, expect=404)
    # pages
    response = requests.get(f"{o311.base}requests.{fmt}", params={"page_size": 2}, timeout=30)
    assert response.headers["X-Total-Count"] == "3"
    assert numbers(o311.get("requests", fmt, page_size=2), fmt) == [c.number, b.number]
    assert numbers(o311.get("requests", fmt, page_size=2, page=2), fmt) == [a.number]
    assert numbers(o311.get("requests", fmt, page_size=2, page=3), fmt) == []
    # updated_after: what changed since (the rejection is the latest change)
    rejected_at = a.events.order_by("-id").first().at
    assert numbers(o311.get("requests", fmt, updated_after=iso(
        rejected_at - dt.timedelta(seconds=1))), fmt) == [a.number]
    assert old.number in numbers(o311.get("requests", fmt, updated_before=iso(
        timezone.now() - dt.timedelta(days=100))), fmt)


# --- the life cycle -------------------------------------------------------------------------------


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_full_life_cycle(o311, people, key, fmt):
    [item] = items(o311.post(fmt, **post_fields(
        key, description="积存渣土，联系电话13900001111")), fmt)
    number = item["service_request_id"]
    [shown] = items(o311.get(f"requests/{number}", fmt), fmt)
    assert shown["status"] == "open"
    assert shown["status_notes"] == "Awaiting acceptance"
    assert shown["agency_responsible"] == "南安市"  # the tier area: the district center
    assert "139****1111" in shown["description"] and "13900001111" not in shown["description"]

    center, cg = people["center"], people["cg"]
    case_services.accept(actor=center, case=number, note="受理")
    case_services.dispatch(actor=center, case=number, department="chengguan-350583",
                           note="请城管局处置")
    case_services.sign(actor=cg, case=number)
    case_services.feedback(actor=cg, case=number, note="渣土已清运完毕")
    case_services.verify(actor=center, case=number, passed=True, note="现场已干净")
    case_services.close(actor=center, case=number, note="已清运，结案")
    case = Case.objects.get(number=number)
    last = case.events.order_by("-id").first()

    [done] = items(o311.get(f"requests/{number}", fmt), fmt)
    assert done["service_request_id"] == number
    assert done["status"] == "closed"
    assert done["status_notes"] == "Closed"  # not the closing note written by staff
    assert done["service_code"] == "0102" and done["service_name"] == "积存垃圾渣土"
    assert done["agency_responsible"] == people["departments"]["chengguan-350583"].name
    assert done["requested_datetime"] == iso(case.reported_at)
    assert done["updated_datetime"] == iso(last.at)
    assert done["expected_datetime"] == iso(case.handle_deadline)
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert done[name].endswith("+08:00")
        assert dt.datetime.fromisoformat(done[name])
    assert done["address"].endswith("溪美街道滨江路") and "1号" not in done["address"]
    assert done["address_id"] == GRID
    assert float(done["lat"]) == pytest.approx(LAT) and float(done["long"]) == pytest.approx(
        LON)
    assert done["service_notice"]
    assert "zipcode" in done
    assert "notes" not in done  # only with extensions=true

    [extended] = items(o311.get(f"requests/{number}", fmt, extensions="true"), fmt)
    notes, attributes = extended["notes"], extended["extended_attributes"]
    assert attributes["channel"] == "hotline"
    assert attributes["parent_service_request_id"] in (None, "")
    assert [n["type"] for n in notes] == ["opened"] + ["activity"] * 5 + ["closed"]
    assert notes[0]["datetime"] == iso(case.reported_at)
    assert notes[-1]["datetime"] == iso(last.at)
    assert people["departments"]["chengguan-350583"].name in notes[2]["summary"]
    assert not any(n["description"] for n in notes)  # staff notes are never published
    for person in ("城管处置员", "指挥中心坐席"):
        assert person not in str(extended)
    # the same in the list, with the extensions
    listed = items(o311.get("requests", fmt, extensions="true", status="closed"), fmt)
    assert [i["service_request_id"] for i in listed] == [number]


@LIVE
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_merged_duplicate_names_its_parent(o311, people, fmt):
    master = make_case("0101", description="门口垃圾")
    duplicate = make_case("0101", description="门口垃圾又一次")
    case_services.merge(actor=people["comm"], case=duplicate, master=master)
    [item] = items(o311.get(f"requests/{duplicate.number}", fmt, extensions="true"), fmt)
    assert item["status"] == "closed"
    assert master.number in item["status_notes"]
    assert item["extended_attributes"]["parent_service_request_id"] == master.number
    assert item["extended_attributes"]["duplicate"] in (True, "true")


# --- keys -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_a_key_that_works(capsys):
    call_command("create_open311_key", "市12345热线", "--source", "hotline")
    key = capsys.readouterr().out.strip()
    client = ApiClient.objects.get()
    assert client.source == "hotline" and key.startswith(client.key_prefix)
    assert key not in (client.key_digest, client.key_prefix)
    from wangge.open311.services import authenticate

    assert authenticate(key) == client


@pytest.mark.django_db
def test_admin_shows_a_new_key_once(client, make_user):
    admin = make_user("root", "admin", None, is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post("/admin/open311/apiclient/add/", {
        "name": "小程序", "source": "resident", "is_active": "on", "note": ""}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    created = ApiClient.objects.get()
    [key] = [w for m in shown for w in m.split() if w.startswith("o311_") and len(w) > 40]
    assert key.startswith(created.key_prefix)
    from wangge.open311.services import authenticate

    assert authenticate(key) == created
    page = client.get(f"/admin/open311/apiclient/{created.pk}/change/")
    assert key not in page.content.decode()


def test_redact_masks_contacts_in_free_text():
    text = "联系13812345678或wang.li@example.com，身份证11010519491231002X，工单2025010100001"
    masked = redact(text)
    assert "138****5678" in masked
    assert "***@example.com" in masked
    assert "11010519491231002X" not in masked
    assert "2025010100001" in masked  # a case number is not a phone number
    assert redact("网格350583001001001001") == "网格350583001001001001"  # an 18-digit code


@pytest.mark.django_db
def test_attribute_choices_are_checked():
    from django.core.exceptions import ValidationError

    from wangge.cases.models import Category

    minor, major = Category.objects.get(code="0101"), Category.objects.get(code="01")
    ServiceAttribute(category=minor, code="ok", datatype="singlevaluelist", description="q",
                     values=[{"key": "a", "name": "A"}]).full_clean()
    for wrong in (dict(category=major), dict(code="no spaces"), dict(values=[]),
                  dict(values=[{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]),
                  dict(values=[{"key": "a"}]), dict(datatype="string")):
        fields = dict(category=minor, code="ok", datatype="singlevaluelist", description="q",
                      values=[{"key": "a", "name": "A"}]) | wrong
        with pytest.raises(ValidationError):
            ServiceAttribute(**fields).full_clean()
