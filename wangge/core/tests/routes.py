"""THE table of routes for the owner / teammate / outsider access test (issue #11).

Every URL pattern of the project has at least one ``Row`` here (``test_route_access`` fails
on a pattern without one, and on a row whose pattern is gone). A row says how to build the URL
and the request for the cast's objects, and what each member of the cast gets:

- ``anon``: not logged in;
- ``owner``: the user whose jurisdiction (or unit, or account) holds the object;
- ``teammate``: someone of the same jurisdiction whose role reads it but may not do this;
- ``outsider``: a user of the other street (柳城街道) with the same kind of role, or a
  department handler of another unit (for what a unit was given).

Objects live in the small territory of ``wangge/conftest.py``: one of each kind in 溪美街道1社区
grid 1 (the owner's) and in 柳城街道1社区 grid 1 (the outsider's). ``build_world`` makes them
through the services, like the rest of the tests.

Expectations (``expect``, per role) are a status, a set of statuses, or one of ``LOGIN`` (a
redirect to the login page), ``OK`` (2xx, or a redirect that is not to a login page), ``OK2``
(2xx), ``CLIENT_ERROR`` (4xx), ``NOT_5XX``. Defaults by ``kind``:

========  ==============  =======  ========  ===========================================
kind      anon            owner    teammate  outsider
========  ==============  =======  ========  ===========================================
read      LOGIN / 401     200      200       404 (as if it did not exist)
list      LOGIN / 401     200      200       200, without the owner's object (``marker``)
write     LOGIN / 401     OK       403       404, and the object unchanged (``state``)
self      LOGIN / 401     OK       OK        OK (the user's own inbox, patrols, session)
public    OK              OK       OK        OK (portal, Open311, health, login …)
========  ==============  =======  ========  ===========================================

A write row runs anon, outsider and teammate first, each of which must leave ``state(w)``
unchanged, then the owner, whose write must change it (unless ``changes=False``). Rows whose
write must make a fresh object first (a case in the right state, say) do it in ``prepare``.

A row with ``leak`` set asserts the correct behaviour, which the product does not have yet:
the text says what is wrong (the test names these rows when they fail).

The admin is summarised (``ADMIN_MODELS``): every admin URL wants a staff login, and for every
registered model the staff of 柳城 (holding every view permission) must neither list nor open
溪美's object, which the staff of 溪美 lists. ``ADMIN_LEAKS`` says where that does not hold yet.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.urls import URLPattern, URLResolver, get_resolver

from wangge.cases.tests.conftest import GRID, GRID_POINT, OTHER_GRID_POINT, png_bytes
from wangge.core.identifiers import id_check_character, uscc_check_character

XIMEI_GRID = GRID  # 350583001001001, lon 118.0–118.1, lat 24.8–24.9
XIMEI_COMMUNITY = "350583001001"
XIMEI_TOWN = "350583001000"
LIUCHENG_GRID = "350583002001001"  # lon 118.2–118.3, lat 24.8–24.9
LIUCHENG_COMMUNITY = "350583002001"
LIUCHENG_TOWN = "350583002000"
COUNTY = "350583000000"

ROLES = ("anon", "outsider", "teammate", "owner")  # the order a row's requests are made in

LOGIN = "login"
OK = "ok"
OK2 = "2xx"
CLIENT_ERROR = "4xx"
NOT_5XX = "not-5xx"

DEFAULT_CAST = {"owner": "comm", "teammate": "leader", "outsider": "comm2"}
DEFAULTS = {
    "read": {"anon": LOGIN, "owner": 200, "teammate": 200, "outsider": 404},
    "list": {"anon": LOGIN, "owner": 200, "teammate": 200, "outsider": 200},
    "write": {"anon": LOGIN, "owner": OK, "teammate": 403, "outsider": 404},
    "self": {"anon": LOGIN, "owner": OK, "teammate": OK, "outsider": OK},
    "public": {"anon": OK, "owner": OK, "teammate": OK, "outsider": OK},
}


def _id(first17: str) -> str:
    return first17 + id_check_character(first17)


def _uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


@dataclass
class Row:
    route: str  # the URL pattern's name ("namespace:name"), or its route when it has none
    method: str = "GET"
    kind: str = "read"
    args: Callable | None = None  # w → kwargs for reverse()
    query: Callable | None = None  # w → query-string dict
    data: Callable | None = None  # w → request body (a dict: JSON for the API, a form else)
    files: Callable | None = None  # w → multipart files for the API [(field, (name, bytes, type))]
    cast: dict = field(default_factory=dict)  # role → username, over DEFAULT_CAST
    expect: dict = field(default_factory=dict)  # role → expectation, over DEFAULTS[kind]
    marker: Callable | None = None  # w → text of the owner's object, absent for ``hidden``
    shown: tuple = ("owner",)  # roles whose body must contain the marker
    hidden: tuple = ("outsider",)  # roles whose body must not contain it
    check: Callable | None = None  # (role, w, status, body) → problem text or None
    state: Callable | None = None  # w → snapshot that refused requests must leave unchanged
    changes: bool = True  # the owner's (successful) write changes ``state``
    may_change: tuple = ("owner",)  # roles whose request may change ``state``
    form: bool = False  # an API body sent form-encoded (multipart with ``files``)
    prepare: Callable | None = None  # w → {name: object} made fresh for this row
    fresh_session: bool = False  # a page that ends the session (logout)
    skip: tuple = ()  # roles not asked (say why in ``note``)
    note: str = ""
    leak: str = ""  # the product is wrong here today: what and why (the row asserts the right)

    @property
    def api(self) -> bool:
        return self.route.startswith("api:")

    def who(self, role: str) -> str | None:
        if role == "anon":
            return None
        return {**DEFAULT_CAST, **self.cast}[role]

    def expected(self, role: str):
        defaults = dict(DEFAULTS[self.kind])
        if self.api and defaults["anon"] == LOGIN:
            defaults["anon"] = 401
        return {**defaults, **self.expect}[role]

    def url(self, w) -> str:
        """The path of the row's URL for the world ``w``."""
        from django.urls import reverse

        if "/" in self.route:  # a pattern without a name: its route is its path
            return "/" + self.route
        return reverse(self.route, kwargs=self.args(w) if self.args else None)

    @property
    def label(self) -> str:
        return f"{self.method} {self.route}" + (f" [{self.note}]" if self.note else "")


def matches(expected, status: int, location: str = "") -> bool:
    from django.urls import reverse

    to_login = status in (301, 302, 303) and (
        location.split("?")[0].endswith(reverse("login")) or "/admin/login/" in location)
    if expected == LOGIN:
        return to_login
    if expected == OK:
        return 200 <= status < 400 and not to_login
    if expected == OK2:
        return 200 <= status < 300
    if expected == CLIENT_ERROR:
        return 400 <= status < 500
    if expected == NOT_5XX:
        return status < 500
    if isinstance(expected, set | frozenset | tuple | list):
        return status in expected
    return status == expected


# --- the world: the cast and one of everything in 溪美 and in 柳城 ------------------------------


def snapshot(obj) -> dict | None:
    """Every column of ``obj`` as stored now."""
    return obj._meta.model.objects.filter(pk=obj.pk).values().first()


def case_state(case) -> tuple:
    from wangge.cases.models import Case

    row = Case.objects.filter(pk=case.pk).values_list("status", "version", "urgency",
                                                      "instruction", "tier").first()
    return row, case.events.count(), case.supervisions.count(), case.attachments.count()


def photo():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")


CASE_STEPS = ("reported", "to_dispatch", "dispatched", "in_progress", "to_verify", "to_close",
              "closed")


def make_case(w, upto: str = "reported", *, point=GRID_POINT, reporter="gw", photos=0,
              description="路边暴露垃圾", **extra):
    """A case of 溪美街道1社区 grid 1 reported by the grid worker (community tier), taken
    through the services up to ``upto`` (one of CASE_STEPS, or ``parked``, ``extension``,
    ``street``: escalated to the street and accepted there)."""
    from wangge.cases import services as cs

    u = w.u
    actor = u[reporter] if reporter else None
    case = cs.report(actor=actor, category="0101", description=description,
                     source="patrol" if actor else "resident", lon=point[0], lat=point[1],
                     photos=[photo() for _ in range(photos)], **extra)
    if upto == "reported":
        return case
    if upto == "street":
        case = cs.escalate(actor=u["comm"], case=case, note="需街道协调")
        return cs.accept(actor=u["street"], case=case)
    case = cs.accept(actor=u["comm"], case=case)
    if upto == "parked":
        return cs.park(actor=u["comm"], case=case, until=dt.date.today() + dt.timedelta(days=30),
                       note="待资金")
    steps = [("dispatched", lambda c: cs.dispatch(actor=u["comm"], case=c,
                                                  department=w.cg_dept)),
             ("in_progress", lambda c: cs.sign(actor=u["cg"], case=c)),
             ("to_verify", lambda c: cs.feedback(actor=u["cg"], case=c, note="已清理")),
             ("to_close", lambda c: cs.verify(actor=u["gw"], case=c, passed=True, note="属实")),
             ("closed", lambda c: cs.close(actor=u["comm"], case=c))]
    for step, do in steps:
        if upto == "to_dispatch":
            break
        case = do(case)
        if step == upto:
            break
        if step == "in_progress" and upto == "extension":
            cs.request_extension(actor=u["cg"], case=case, amount=1, unit="wd", note="需采购")
            break
    case.refresh_from_db()
    return case


def build_world(people, territory, make_user):
    """The cast (``w.u``), one of everything in 溪美 (``w.x``) and in 柳城 (``w.l``), and cases."""
    from django.contrib.auth.models import Permission
    from django.core.cache import cache

    from wangge.accounts.choices import Role
    from wangge.cases import services as cs
    from wangge.evaluation import services as es
    from wangge.evaluation.models import Scheme
    from wangge.gridapp.models import Patrol
    from wangge.integrations.models import Device, DeviceKind
    from wangge.notifications.models import Notification
    from wangge.organisations import services as orgs
    from wangge.people.models import Tag, TagGroup
    from wangge.people.services import register_person
    from wangge.places import services as places
    from wangge.places.models import AddressMatch
    from wangge.things import services as things

    cache.clear()  # the portal's and the lookups' rate limits
    t = territory
    u = {k: v for k, v in people.items() if k != "departments"}
    u["leader2"] = make_user("leader2", Role.LEADER, t[LIUCHENG_TOWN], display_name="柳城领导")
    u["street2"] = make_user("street2", Role.DISPATCHER, t[LIUCHENG_TOWN],
                             display_name="柳城街道分中心")
    u["gw3"] = make_user("gw3", Role.GRID_WORKER, t[LIUCHENG_COMMUNITY], display_name="柳城网格员")
    full_id = Permission.objects.get(codename="view_full_id", content_type__app_label="people")
    for name in ("street", "street2"):  # may reveal ID numbers, each in their own street
        u[name].user_permissions.add(full_id)
    w = SimpleNamespace(u=u, t=t, cg_dept=people["departments"]["chengguan-350583"])

    Tag.objects.get_or_create(name="独居老人", defaults={"group": TagGroup.CARE})
    sides = {}
    for side, grid, lon, serial, id17 in (("ximei", XIMEI_GRID, 118.05, "1", "35058319800101123"),
                                          ("liucheng", LIUCHENG_GRID, 118.25, "2",
                                           "35058319900202234")):
        s = SimpleNamespace(grid=t[grid])
        s.person_id_number = _id(id17)
        s.person = register_person(None, name=f"{side}居民", id_number=s.person_id_number,
                                   area=t[grid], phone=f"1380000000{serial}", tags=["独居老人"])
        s.address = places.create_address(None, area=t[grid], road=f"{side}路", door_number="12")
        s.building = places.create_building(None, name=f"{side}苑1栋", lon=lon, lat=24.85,
                                            address=s.address)
        s.house = places.create_house(None, building=s.building, unit_no="1", room_no="101",
                                      owner=s.person)
        s.residence = places.register_residence(None, person=s.person, house=s.house,
                                                relation="户主")
        s.component = things.save_component(None, code=f"350583510100000{serial}",
                                            name=f"{side}井盖", lon=lon, lat=24.85)
        s.org = orgs.save_organisation(None, kind="enterprise", name=f"{side}石材有限公司",
                                       credit_code=_uscc(f"91350583MA2Y1K3P{serial}"),
                                       lon=lon, lat=24.85, contact_phone="13912345678")
        s.device = Device.objects.create(device_id=f"SMK-{side}", kind=DeviceKind.SMOKE,
                                         lon=lon, lat=24.85, grid=t[grid],
                                         component=s.component.code)
        s.match = AddressMatch.objects.create(raw_text=f"{side}路十二号附近", area=t[grid],
                                              candidate=s.address, score=50,
                                              building=s.building)
        sides[side] = s
    w.x, w.l = sides["ximei"], sides["liucheng"]

    # the case everybody reads: in progress at 城管, with a photo, a 督办 and an extension asked
    w.case = make_case(w, "extension", photos=1, description="溪美的暴露垃圾")
    w.attachment = w.case.attachments.first()
    w.supervision = cs.supervise(actor=u["inspector"], case=w.case, level="normal",
                                 note="尽快处理")
    w.case.refresh_from_db()
    w.extension = w.case.extensions.get()
    w.case_l = cs.report(actor=u["gw3"], category="0101", description="柳城的暴露垃圾",
                         source="patrol", lon=OTHER_GRID_POINT[0], lat=OTHER_GRID_POINT[1])
    # a resident's report with a photo, followed through its tracking link
    w.resident = cs.report(actor=None, category="0101", description="居民反映垃圾",
                           source="resident", lon=GRID_POINT[0] + 0.01, lat=GRID_POINT[1],
                           reporter_name="居民王", reporter_phone="13700001234",
                           photos=[photo()])
    w.resident_photo = w.resident.attachments.first()

    w.patrol = Patrol.objects.create(user=u["gw"], area=t[XIMEI_GRID], started_at=now())
    w.notification = Notification.objects.create(user=u["gw"], kind="new_task", case=w.case,
                                                 text="网格员小陈的通知", source_key="route-test")

    w.scheme = Scheme(name="溪美考核", target_kind="area", area=t[XIMEI_TOWN],
                      weights={"area_closure_rate": 100})
    w.scheme.full_clean()
    w.scheme.save()
    w.evaluation = es.compute(actor=u["leader"], scheme=w.scheme, period_kind="month",
                              day=dt.date.today())
    es.publish(actor=u["leader"], evaluation=w.evaluation)
    w.result = w.evaluation.results.get(area=t[XIMEI_COMMUNITY])
    w.appeal = es.file_appeal(actor=u["comm"], result=w.result, reason="溪美申诉理由")
    return w


def now():
    from django.utils import timezone

    return timezone.now()


def previous_month(months: int) -> dt.date:
    day = dt.date.today().replace(day=1)
    for _ in range(months):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


def fresh_evaluation(w, months_back: int, publish: bool):
    from wangge.evaluation import services as es

    evaluation = es.compute(actor=w.u["leader"], scheme=w.scheme, period_kind="month",
                            day=previous_month(months_back))
    if publish:
        es.publish(actor=w.u["leader"], evaluation=evaluation)
    return evaluation


def count(model, **lookup):
    return lambda w: model().objects.filter(**lookup).count()


def _model(path: str):
    from django.apps import apps

    return lambda: apps.get_model(path)


def cases_in_ximei(w):
    from wangge.cases.models import Case

    return Case.objects.filter(grid__code=XIMEI_GRID).count()


def no_ximei_candidate(role, w, status, body):
    """An address match offers no address of 溪美 to someone who cannot see it."""
    if role != "outsider" or status != 200:
        return None
    candidate = json.loads(body).get("candidate")
    if candidate and candidate.get("id") == w.x.address.pk:
        return "offers the 溪美 address as a candidate"
    return None


# --- the table ------------------------------------------------------------------------------------
C = lambda w: {"number": w.case.number}  # noqa: E731 - the case everybody reads
# the 城管 handler holds the case, the community reads it, the street's police station does not
OTHER_UNIT = {"owner": "cg", "teammate": "comm", "outsider": "police"}
FRESH = lambda w: {"number": w.fresh.number}  # noqa: E731 - the case a write row made


def fresh(upto: str, **kwargs):
    return lambda w: {"fresh": make_case(w, upto, **kwargs)}


def fresh_state(w):
    return case_state(w.fresh)


def case_api(action: str, upto: str, body: dict | Callable, *, cast=None, expect=None,
             note="", leak="", prepare=None, args=FRESH, **extra) -> Row:
    """A case transition through the API, on a fresh case in the state it starts from."""
    return Row(f"api:{action}", "POST", "write", args=args,
               data=body if callable(body) else (lambda w, b=body: dict(b)),
               prepare=prepare or fresh(upto), state=fresh_state, cast=cast or {},
               expect=expect or {}, note=note, leak=leak, **extra)


PAGES: list[Row] = [
    # --- the site ---------------------------------------------------------------------------------
    Row("home", expect={"owner": 302, "teammate": 302, "outsider": 302}, kind="read"),
    Row("healthz", kind="public"),
    Row("login", kind="public"),
    Row("login", "POST", "public", data=lambda w: {"username": "nobody-here",
                                                   "password": "wrong-password-1"},
        note="a failed login", expect={"anon": 200}),
    Row("logout", "POST", "public", fresh_session=True, expect={r: LOGIN for r in ROLES}),
    Row("set_language", "POST", "public", data=lambda w: {"language": "zh-hans", "next": "/"}),
    Row("javascript-catalog", kind="public"),
    # --- one's own account (each user only ever reaches their own) -------------------------------
    Row("account:home", kind="self"),
    Row("account:password", kind="self"),
    Row("account:password", "POST", "self", expect={r: 400 for r in ROLES[1:]},
        data=lambda w: {"old_password": "not-the-password", "new_password1": "Xy-7-long-pass!",
                        "new_password2": "Xy-7-long-pass!"},
        state=lambda w: snapshot(w.u["comm"]), may_change=(), note="a wrong old password"),
    Row("account:verify", kind="self", note="no second factor: on to the next page"),
    Row("account:mfa-setup", kind="self"),
    Row("account:recovery-codes", "POST", "self"),
    Row("account:mfa-disable", kind="self", cast={"teammate": "gw2"},
        note="a leader's role requires two-factor login: not here"),
    # the admin logs in, out and changes passwords through the pages above
    Row("admin/login/", kind="public", expect={r: LOGIN for r in ROLES}),
    Row("admin/logout/", "POST", "public", fresh_session=True,
        expect={r: LOGIN for r in ROLES}),
    Row("admin/password_change/", kind="public"),
    Row("inbox", kind="self", cast={"owner": "gw", "teammate": "gw2"},
        marker=lambda w: w.notification.text, hidden=("teammate", "outsider")),
    Row("inbox-read", "POST", "self", cast={"owner": "gw", "teammate": "gw2"},
        state=lambda w: snapshot(w.notification)),
    # --- territory --------------------------------------------------------------------------------
    Row("territory:home", kind="self"),
    Row("territory:area", args=lambda w: {"code": XIMEI_COMMUNITY}),
    Row("territory:geojson", args=lambda w: {"code": XIMEI_COMMUNITY}),
    # --- cases ------------------------------------------------------------------------------------
    Row("cases:list", kind="list", marker=lambda w: w.case.number),
    Row("cases:new", kind="self"),
    Row("cases:new", "POST", "write", cast={"owner": "gw", "teammate": "inspector"},
        data=lambda w: {"category": "0101", "description": "网页上报", "lon": "118.05",
                        "lat": "24.86", "crs": "wgs84", "source": "patrol"},
        state=cases_in_ximei, expect={"teammate": 302, "outsider": 400},
        may_change=("owner", "teammate"),
        note="every member of the staff reports in their own jurisdiction only"),
    Row("cases:detail", args=C),
    Row("cases:detail", args=C, cast=OTHER_UNIT,
        note="a department sees the cases its unit was given, not another unit's"),
    Row("cases:file", args=lambda w: {"number": w.case.number,
                                      "attachment_id": w.attachment.pk}),
    Row("cases:file", args=lambda w: {"number": w.case.number,
                                      "attachment_id": w.attachment.pk}, cast=OTHER_UNIT,
        note="another unit's case"),
    Row("cases:act", "POST", "write", args=lambda w: {"number": w.fresh.number,
                                                      "action": "accept"},
        prepare=fresh("reported"), state=fresh_state, expect={"teammate": 302},
        data=lambda w: {"note": "受理"}, note="accept; a refusal is a message on the page"),
    Row("cases:act", "POST", "write", args=lambda w: {"number": w.fresh.number,
                                                      "action": "instruct"},
        prepare=fresh("dispatched"), state=fresh_state, expect={"teammate": 302},
        cast={"owner": "leader", "teammate": "inspector", "outsider": "leader2"},
        data=lambda w: {"note": "领导批示"}, note="instruct"),
    Row("cases:act", "POST", "write", args=lambda w: {"number": w.fresh.number,
                                                      "action": "sign"},
        prepare=fresh("dispatched"), state=fresh_state, expect={"teammate": 302},
        cast=OTHER_UNIT,
        data=lambda w: {"note": ""}, note="sign; another department cannot see the case"),
    # --- command center --------------------------------------------------------------------------
    Row("command:center", kind="list", cast={"teammate": "inspector"}),
    Row("command:center", note="grid workers may not use it", cast={"teammate": "gw"},
        expect={"teammate": 403, "outsider": 200}),
    Row("command:queue", kind="list", prepare=fresh("reported"),
        marker=lambda w: w.fresh.number),
    Row("command:boards", kind="list", marker=lambda w: w.case.number),
    Row("command:map", kind="list", marker=lambda w: w.case.number),
    Row("command:quick", "POST", "write", prepare=fresh("reported"), state=fresh_state,
        args=lambda w: {"number": w.fresh.number, "action": "accept"},
        data=lambda w: {"version": str(w.fresh.version)}, expect={"teammate": 302},
        note="accept from the queue; a leader watches but does not dispatch"),
    # --- grid app ---------------------------------------------------------------------------------
    Row("gridapp:home", kind="self", cast={"owner": "gw"}),
    Row("gridapp:report", kind="self"),
    Row("gridapp:tasks", kind="self", cast={"owner": "gw"}, marker=lambda w: w.case.number),
    Row("gridapp:patrol", kind="self"),
    Row("gridapp:verify", cast={"owner": "gw"},
        args=lambda w: {"number": w.case.number}),
    Row("gridapp:verify", "POST", "write", prepare=fresh("to_verify"), state=fresh_state,
        args=FRESH, data=lambda w: {"decision": "pass", "note": "核查通过"},
        cast={"owner": "gw", "teammate": "leader"}, expect={"teammate": 200}),
    Row("gridapp:handle", cast={"owner": "cg"}, args=C),
    Row("gridapp:handle", "POST", "write", prepare=fresh("dispatched"), state=fresh_state,
        args=FRESH, data=lambda w: {"action": "sign"},
        cast=OTHER_UNIT,
        expect={"teammate": 200}),
    Row("gridapp:sw", kind="public"),
    Row("gridapp:manifest", kind="public"),
    Row("gridapp:session", kind="self", expect={"anon": 401}),
    Row("gridapp:patrols", kind="self", cast={"owner": "gw"}, expect={"anon": 401},
        marker=lambda w: f'"id": {w.patrol.pk}', hidden=("teammate", "outsider")),
    Row("gridapp:patrols", "POST", "self", expect={"anon": 401}, cast={"owner": "gw2"},
        note="start one's own patrol"),
    Row("gridapp:patrol-detail", args=lambda w: {"patrol_id": w.patrol.pk},
        cast={"owner": "gw", "teammate": "gw2"}, expect={"anon": 401, "teammate": 404}),
    Row("gridapp:patrol-points", "POST", "write", args=lambda w: {"patrol_id": w.patrol.pk},
        cast={"owner": "gw", "teammate": "gw2"}, expect={"anon": 401, "teammate": 404},
        data=lambda w: json.dumps({"points": [[118.05, 24.85, int(now().timestamp() * 1000)]]}),
        state=lambda w: snapshot(w.patrol)),
    Row("gridapp:patrol-stop", "POST", "write", args=lambda w: {"patrol_id": w.patrol.pk},
        cast={"owner": "gw", "teammate": "gw2"}, expect={"anon": 401, "teammate": 404},
        data=lambda w: json.dumps({}), state=lambda w: snapshot(w.patrol)),
    # --- resident portal (no login: the tracking token is the credential) -------------------------
    Row("portal:home", kind="public"),
    Row("portal:report", kind="public"),
    Row("portal:report", "POST", "public", data=lambda w: {"website": "http://spam"},
        note="the honeypot: answered as received, nothing kept", state=cases_in_ximei,
        changes=False),
    Row("portal:done", kind="public", args=lambda w: {"token": w.resident.tracking_token}),
    Row("portal:lookup", kind="public"),
    Row("portal:lookup", "POST", "public", data=lambda w: {"number": w.resident.number,
                                                           "digits": "0000"},
        expect={r: 400 for r in ROLES}, note="wrong digits"),
    Row("portal:track", kind="public", args=lambda w: {"token": w.resident.tracking_token},
        marker=lambda w: "居民王", shown=(), hidden=ROLES,
        note="no reporter name (nor staff names) on the public page"),
    Row("portal:rate", "POST", "public",
        prepare=lambda w: {"fresh": make_case(w, "closed", reporter=None,
                                              reporter_name="居民李")},
        args=lambda w: {"token": w.fresh.tracking_token},
        data=lambda w: {"satisfaction": "satisfied", "comment": ""}),
    Row("portal:photo", kind="public", args=lambda w: {"token": w.resident.tracking_token,
                                                       "pk": w.resident_photo.pk}),
    Row("portal:photo", kind="public", note="another case's photo by this token",
        args=lambda w: {"token": w.resident.tracking_token, "pk": w.attachment.pk},
        expect={r: 404 for r in ROLES}),
    Row("portal:locate", kind="public", query=lambda w: {"lon": "118.05", "lat": "24.85"}),
    Row("portal:grids", kind="public"),
    # --- cockpit (leaders, operators, administrators) -------------------------------------------
    Row("cockpit:home", cast={"owner": "leader", "teammate": "comm", "outsider": "leader2"},
        expect={"owner": 302, "teammate": 403, "outsider": 302}),
    Row("cockpit:area", args=lambda w: {"code": XIMEI_TOWN},
        cast={"owner": "leader", "teammate": "comm", "outsider": "leader2"},
        expect={"teammate": 403}),
    Row("cockpit:data", args=lambda w: {"code": XIMEI_TOWN},
        cast={"owner": "leader", "teammate": "comm", "outsider": "leader2"},
        expect={"teammate": 403}),
    Row("cockpit:geo", args=lambda w: {"code": XIMEI_TOWN},
        cast={"owner": "leader", "teammate": "comm", "outsider": "leader2"},
        expect={"teammate": 403}),
    # --- Open311 (public; only what residents may see) -----------------------------------------
    Row("open311:discovery", kind="public", args=lambda w: {"fmt": "json"}),
    Row("open311:services", kind="public", args=lambda w: {"fmt": "json"}),
    Row("open311:service", kind="public", args=lambda w: {"fmt": "xml", "service_code": "0101"},
        expect={r: {200, 404} for r in ROLES}, note="404 once the category is not public"),
    Row("open311:requests", kind="public", args=lambda w: {"fmt": "json"},
        marker=lambda w: w.case.number, shown=(), hidden=ROLES,
        note="a grid worker's patrol report is not public (issue #11, leak 3)"),
    Row("open311:requests", "POST", "public", args=lambda w: {"fmt": "json"},
        data=lambda w: {"service_code": "0101", "description": "x", "lat": "24.85",
                        "long": "118.05"}, expect={r: 403 for r in ROLES},
        state=cases_in_ximei, changes=False, note="no api_key"),
    Row("open311:request", kind="public",
        args=lambda w: {"fmt": "json", "request_id": w.case.number},
        expect={r: 404 for r in ROLES},
        note="a patrol report is not public by its number either (issue #11, leak 3)"),
    Row("open311:token", kind="public",
        args=lambda w: {"fmt": "json", "token": w.resident.tracking_token}),
    Row("open311:not-found", kind="public", args=lambda w: {"path": "nothing.json"},
        expect={r: 404 for r in ROLES}),
    # --- integrations (machines, by key) ---------------------------------------------------------
    Row("integrations:alarms", "POST", "public", data=lambda w: json.dumps({}),
        expect={r: 401 for r in ROLES}, note="no key: a session is not a device's key"),
    # --- people -----------------------------------------------------------------------------------
    Row("people:list", kind="list", marker=lambda w: w.x.person.name),
    Row("people:list", kind="list", marker=lambda w: w.x.person.name,
        cast={"outsider": "cg"},
        note="least privilege: a department handler browses no register of residents"),
    Row("people:export", kind="list", marker=lambda w: w.x.person.name,
        query=lambda w: {"format": "csv"}),
    Row("people:export", kind="list", marker=lambda w: w.x.person.name,
        query=lambda w: {"format": "csv", "area": XIMEI_COMMUNITY},
        expect={"outsider": {200, 400, 404}}, note="filtered by the owner's area"),
    Row("people:new", expect={"outsider": 200, "teammate": 403}),
    Row("people:new", "POST", "write", state=count(_model("people.Person")),
        data=lambda w: {"name": "新居民", "kind": "registered",
                        "id_number": _id("35058320010505456"), "area": XIMEI_GRID},
        expect={"outsider": 400}),
    Row("people:detail", args=lambda w: {"pk": w.x.person.pk}),
    Row("people:edit", args=lambda w: {"pk": w.x.person.pk}, expect={"teammate": 403}),
    Row("people:edit", "POST", "write", args=lambda w: {"pk": w.x.person.pk},
        state=lambda w: snapshot(w.x.person),
        data=lambda w: {"name": w.x.person.name, "kind": "registered", "id_number": "",
                        "phone": "", "area": XIMEI_GRID, "address": "溪美新址8号",
                        "version": version(w.x.person)}),
    Row("people:reveal", "POST", "write", args=lambda w: {"pk": w.x.person.pk},
        cast={"owner": "street", "teammate": "comm", "outsider": "street2"},
        data=lambda w: {"reason": "核实身份"}, state=count(_model("people.AccessLog")),
        note="a permitted reader of another street may not"),
    # --- places -----------------------------------------------------------------------------------
    Row("places:buildings", kind="list", marker=lambda w: w.x.building.name),
    Row("places:buildings", kind="list", marker=lambda w: w.x.building.name, cast=OTHER_UNIT,
        shown=("owner", "teammate"),
        note="least privilege: a department sees the buildings near its own cases only"),
    Row("places:buildings-export", kind="list", marker=lambda w: w.x.building.name,
        query=lambda w: {"format": "csv"}),
    Row("places:houses-export", kind="list", marker=lambda w: w.x.building.name,
        query=lambda w: {"format": "csv"}),
    Row("places:building", args=lambda w: {"pk": w.x.building.pk}),
    Row("places:building-edit", args=lambda w: {"pk": w.x.building.pk},
        expect={"teammate": 403}),
    Row("places:building-edit", "POST", "write", args=lambda w: {"pk": w.x.building.pk},
        state=lambda w: snapshot(w.x.building),
        data=lambda w: {"name": w.x.building.name, "kind": "residential", "floors": "6",
                        "lon": "118.05", "lat": "24.85", "grid": "",
                        "address": w.x.address.full_text}),
    Row("places:houses", kind="list", marker=lambda w: w.x.building.name),
    Row("places:house", args=lambda w: {"pk": w.x.house.pk}),
    Row("places:review", kind="list", marker=lambda w: w.x.match.raw_text),
    Row("places:review-decide", "POST", "write", args=lambda w: {"pk": w.x.match.pk},
        data=lambda w: {"decision": "accept"}, state=lambda w: snapshot(w.x.match),
        note="a reader (leader, inspector) may not decide an address match"),
    Row("places:phone-list", kind="list", cast={"owner": "gw"},
        marker=lambda w: w.x.building.name),
    Row("places:phone", args=lambda w: {"token": w.x.building.qr_token}, cast={"owner": "gw"}),
    Row("places:phone", "POST", "write", args=lambda w: {"token": w.x.building.qr_token},
        cast={"owner": "gw"}, data=lambda w: {"action": "usage", "house": str(w.x.house.pk),
                                              "usage": "vacant"},
        state=lambda w: snapshot(w.x.house)),
    Row("places:plate", args=lambda w: {"token": w.x.building.qr_token}),
    Row("places:qr", kind="public", args=lambda w: {"token": w.x.building.qr_token},
        marker=lambda w: w.x.person.name, shown=(), hidden=ROLES,
        note="the door plate's page shows no resident"),
    # --- things -----------------------------------------------------------------------------------
    Row("things:list", kind="list", marker=lambda w: w.x.component.code),
    Row("things:export", kind="list", marker=lambda w: w.x.component.code,
        query=lambda w: {"format": "csv"}),
    Row("things:new", expect={"outsider": 200, "teammate": 403}),
    Row("things:new", "POST", "write", state=count(_model("things.Component")),
        data=lambda w: {"code": "3505835101000003", "name": "新井盖", "status": "normal",
                        "lon": "118.06", "lat": "24.86"},
        expect={"outsider": 400}),
    Row("things:detail", args=lambda w: {"code": w.x.component.code}),
    Row("things:edit", args=lambda w: {"code": w.x.component.code}, expect={"teammate": 403}),
    Row("things:edit", "POST", "write", args=lambda w: {"code": w.x.component.code},
        state=lambda w: snapshot(w.x.component),
        data=lambda w: {"code": w.x.component.code, "name": w.x.component.name,
                        "status": "damaged", "lon": "118.05", "lat": "24.85",
                        "version": version(w.x.component)}),
    # --- organisations ----------------------------------------------------------------------------
    Row("organisations:list", kind="list", marker=lambda w: w.x.org.name),
    Row("organisations:export", kind="list", marker=lambda w: w.x.org.name,
        query=lambda w: {"format": "csv"}),
    Row("organisations:new", expect={"outsider": 200, "teammate": 403}),
    Row("organisations:new", "POST", "write", state=count(_model("organisations.Organisation")),
        data=lambda w: {"name": "阿香小吃", "kind": "small_restaurant", "risk_level": "low",
                        "lon": "118.06", "lat": "24.86"},
        expect={"outsider": 400}),
    Row("organisations:detail", args=lambda w: {"pk": w.x.org.pk}),
    Row("organisations:edit", args=lambda w: {"pk": w.x.org.pk}, expect={"teammate": 403}),
    Row("organisations:edit", "POST", "write", args=lambda w: {"pk": w.x.org.pk},
        state=lambda w: snapshot(w.x.org),
        data=lambda w: {"name": w.x.org.name, "kind": "enterprise",
                        "credit_code": w.x.org.credit_code, "risk_level": "major",
                        "lon": "118.05", "lat": "24.85", "version": version(w.x.org)}),
    Row("organisations:inspect", "POST", "write", args=lambda w: {"pk": w.x.org.pk},
        state=count(_model("organisations.Inspection")),
        data=lambda w: {"date": dt.date.today().isoformat(), "result": "passed"},
        note="a reader (leader, inspector) may not record an inspection"),
    # --- profiles ---------------------------------------------------------------------------------
    Row("profiles:home", kind="self"),
    Row("profiles:area", args=lambda w: {"code": XIMEI_COMMUNITY}),
    Row("profiles:map", args=lambda w: {"code": XIMEI_COMMUNITY}),
    # --- analytics (the area of the query string) -------------------------------------------------
    Row("analytics:stats", query=lambda w: {"area": XIMEI_COMMUNITY}),
    Row("analytics:export", query=lambda w: {"area": XIMEI_COMMUNITY}),
    Row("analytics:report", query=lambda w: {"area": XIMEI_COMMUNITY}, skip=("teammate",),
        note="a PDF takes seconds to draw: the owner's read stands for the teammate's"),
    Row("analytics:warnings", kind="self"),
    Row("analytics:warnings_json", kind="self"),
    Row("analytics:board", kind="self"),
    Row("analytics:hotspots", kind="self"),
    Row("analytics:hotspots_data", kind="self"),
    # --- evaluation -------------------------------------------------------------------------------
    Row("evaluation:schemes", kind="list", marker=lambda w: w.scheme.name),
    Row("evaluation:help", kind="self"),
    Row("evaluation:compute", "POST", "write", args=lambda w: {"scheme_id": w.scheme.pk},
        data=lambda w: {"period_kind": "month", "day": previous_month(3).isoformat()},
        cast={"owner": "leader", "teammate": "comm", "outsider": "leader2"},
        state=count(_model("evaluation.Evaluation")), expect={"teammate": 302}),
    Row("evaluation:results", args=lambda w: {"evaluation_id": w.evaluation.pk}),
    Row("evaluation:publish", "POST", "write",
        prepare=lambda w: {"fresh": fresh_evaluation(w, 1, publish=False)},
        args=lambda w: {"evaluation_id": w.fresh.pk}, state=lambda w: snapshot(w.fresh),
        cast={"owner": "leader", "teammate": "comm", "outsider": "leader2"},
        expect={"teammate": 302}),
    Row("evaluation:ranking", args=lambda w: {"evaluation_id": w.evaluation.pk}),
    Row("evaluation:appeal", args=lambda w: {"result_id": w.result.pk},
        cast={"teammate": "street"}, expect={"teammate": 404}),
    Row("evaluation:appeal", "POST", "write",
        prepare=lambda w: {"fresh": fresh_evaluation(w, 2, publish=True).results.get(
            area__code=XIMEI_COMMUNITY)},
        args=lambda w: {"result_id": w.fresh.pk}, data=lambda w: {"reason": "数据有误"},
        cast={"teammate": "street"}, expect={"teammate": 404},
        state=lambda w: w.fresh.appeals.count()),
    Row("evaluation:appeals", kind="list",
        cast={"owner": "leader", "teammate": "comm", "outsider": "leader2"},
        marker=lambda w: w.appeal.reason),
    Row("evaluation:decide", "POST", "write", args=lambda w: {"appeal_id": w.appeal.pk},
        data=lambda w: {"decision": "reject", "note": "理由不足"},
        cast={"owner": "leader", "teammate": "comm"}, expect={"teammate": 302},
        state=lambda w: snapshot(w.appeal)),
]


def version(record) -> str:
    from wangge.core.history import version_of

    record.refresh_from_db()
    return version_of(record)


def _report_body(w, lon=118.05, lat=24.86):
    return {"category": "0101", "description": "接口上报", "source": "patrol",
            "lon": str(lon), "lat": str(lat)}


def _decide_prepare(w):
    case = make_case(w, "extension")
    return {"fresh": case, "request": case.extensions.get()}


def _supervision_prepare(w):
    from wangge.cases import services as cs

    case = make_case(w, "dispatched")
    return {"fresh": case, "request": cs.supervise(actor=w.u["inspector"], case=case,
                                                   level="normal", note="请回复")}


def _merge_prepare(w):
    return {"fresh": make_case(w, "reported"), "master": make_case(w, "to_dispatch")}


API: list[Row] = [
    # --- API documents: public, like the API's description --------------------------------------
    Row("api:openapi-json", kind="public", skip=("outsider", "teammate"),
        note="the same document for everyone, and slow to build"),
    Row("api:openapi-view", kind="public"),
    Row("api:api-root", kind="public", expect={r: 404 for r in ROLES},
        note="no page at the root: the documents are at docs and openapi.json"),
    # --- territory --------------------------------------------------------------------------------
    Row("api:list_areas", kind="list", marker=lambda w: XIMEI_COMMUNITY),
    Row("api:get_area", args=lambda w: {"code": XIMEI_COMMUNITY}),
    Row("api:area_geojson", args=lambda w: {"code": XIMEI_COMMUNITY}),
    Row("api:area_staff", args=lambda w: {"code": XIMEI_GRID}, marker=lambda w: "网格员小陈",
        shown=("owner", "teammate")),
    Row("api:locate", kind="list", query=lambda w: {"lon": "118.05", "lat": "24.85"},
        marker=lambda w: XIMEI_GRID, note="a point of 溪美 is outside the outsider's grids"),
    # --- cases ------------------------------------------------------------------------------------
    Row("api:list_categories", kind="self"),
    Row("api:list_cases", kind="list", marker=lambda w: w.case.number),
    Row("api:report_case", "POST", "write", data=_report_body, state=cases_in_ximei,
        cast={"owner": "gw", "teammate": "inspector"}, form=True,
        may_change=("owner", "teammate"),
        expect={"anon": NOT_5XX, "teammate": 201, "outsider": 403},
        note="staff report in their own jurisdiction only; a resident's report is issue #11 "
             "leak 4 (its own tests)"),
    Row("api:get_case", args=C),
    Row("api:get_case", args=C, cast=OTHER_UNIT, note="another unit's case"),
    Row("api:timeline", args=C),
    Row("api:proposal", args=C),
    Row("api:upload", "POST", "write", args=FRESH, prepare=fresh("in_progress"),
        state=fresh_state, cast={"owner": "cg", "teammate": "leader"},
        data=lambda w: {"kind": "after"},
        files=lambda w: [("files", ("a.png", png_bytes(), "image/png"))], expect={"owner": 201}),
    case_api("accept", "reported", {"note": "受理"}),
    case_api("reject", "reported", {"note": "不属于受理范围"}, cast={"teammate": "inspector"}),
    case_api("void", "reported", {"note": "重复录入"}),
    Row("api:merge", "POST", "write", args=FRESH, prepare=_merge_prepare, state=fresh_state,
        data=lambda w: {"master": w.master.number, "note": "同一问题"}),
    Row("api:merge", "POST", "write", args=FRESH, prepare=fresh("reported"), state=fresh_state,
        data=lambda w: {"master": w.case_l.number, "note": "同一问题"}, changes=False,
        expect={"owner": 404}, note="not into a case of another street"),
    case_api("dispatch", "to_dispatch", lambda w: {"department": w.cg_dept.code}),
    case_api("dispatch", "to_dispatch", {"department": "police-350583002"},
             expect={"owner": 400}, changes=False,
             note="not to a unit of another street (柳城派出所)"),
    case_api("assign_down", "street", {"tier": "community", "note": "社区处理"},
             cast={"owner": "street", "outsider": "street2"}),
    case_api("escalate", "reported", {"note": "需街道协调"}),
    case_api("sign", "dispatched", {}, cast={"owner": "cg", "teammate": "comm",
                                             "outsider": "police"},
             note="another department cannot see the case"),
    case_api("feedback", "in_progress", {"note": "已清理"},
             cast=OTHER_UNIT),
    case_api("return_case", "dispatched", {"note": "不属我单位"},
             cast=OTHER_UNIT),
    case_api("request_extension", "in_progress", {"amount": "1", "unit": "wd",
                                                  "note": "需采购"},
             cast=OTHER_UNIT),
    Row("api:decide_extension", "POST", "write", prepare=_decide_prepare, state=fresh_state,
        args=lambda w: {"number": w.fresh.number, "request_id": w.request.pk},
        data=lambda w: {"approve": True, "note": "同意"}, cast={"teammate": "inspector"}),
    case_api("park", "to_dispatch", lambda w: {
        "until": (dt.date.today() + dt.timedelta(days=30)).isoformat(), "note": "待资金"}),
    case_api("resume", "parked", {"note": "资金到位"}),
    case_api("verify", "to_verify", {"passed": True, "note": "属实"},
             cast={"owner": "gw", "teammate": "leader", "outsider": "gw3"}),
    case_api("close", "to_close", {"note": "结案"}, cast={"teammate": "inspector"}),
    case_api("evaluate", "closed", {"satisfaction": "satisfied"},
             cast={"owner": "gw", "teammate": "inspector"},
             expect={"anon": {401, 403, 404}},
             note="the reporter (or the tier) rates"),
    case_api("urge", "dispatched", {"note": "加急"}, cast={"teammate": "inspector"}),
    case_api("instruct", "dispatched", {"note": "领导批示"},
             cast={"owner": "leader", "teammate": "inspector", "outsider": "leader2"}),
    case_api("supervise", "dispatched", {"note": "督办", "level": "yellow"},
             cast={"owner": "inspector", "teammate": "gw", "outsider": "leader2"},
             expect={"owner": 201}),
    Row("api:list_supervisions", kind="list", marker=lambda w: w.case.number),
    Row("api:list_supervisions", kind="list", marker=lambda w: w.case.number,
        cast=OTHER_UNIT,
        note="another department of the street does not hold the case"),
    Row("api:reply_supervision", "POST", "write", prepare=_supervision_prepare,
        args=lambda w: {"supervision_id": w.request.pk}, data=lambda w: {"note": "已安排"},
        state=lambda w: snapshot(w.request),
        cast={"owner": "cg", "teammate": "inspector", "outsider": "police"},
        note="another department of the street does not hold the case"),
    # --- notifications: one's own -----------------------------------------------------------------
    Row("api:inbox", kind="self", cast={"owner": "gw", "teammate": "gw2"},
        marker=lambda w: w.notification.text, hidden=("teammate", "outsider")),
    Row("api:read", "POST", "self", cast={"owner": "gw", "teammate": "gw2"},
        data=lambda w: {"ids": [w.notification.pk]}, state=lambda w: snapshot(w.notification),
        note="marking another user's notification read does nothing"),
    # --- people -----------------------------------------------------------------------------------
    Row("api:list_people", kind="list", marker=lambda w: w.x.person.name),
    Row("api:list_people", kind="list", note="exact lookup by ID number",
        query=lambda w: {"id_number": w.x.person_id_number, "reason": "登记核实"},
        marker=lambda w: w.x.person.name),
    Row("api:create_person", "POST", "write", state=count(_model("people.Person")),
        data=lambda w: {"name": "陈七", "id_number": _id("35058320010505456"),
                        "area_code": XIMEI_GRID}, expect={"owner": 201, "outsider": 422}),
    Row("api:get_person", args=lambda w: {"person_id": w.x.person.pk}),
    Row("api:list_people", kind="list", marker=lambda w: w.x.person.name,
        cast={"outsider": "cg"},
        note="least privilege: a department handler browses no register of residents"),
    Row("api:get_person", args=lambda w: {"person_id": w.x.person.pk}, cast={"outsider": "cg"},
        note="least privilege: nor reads a resident"),
    Row("api:update_person", "PATCH", "write", args=lambda w: {"person_id": w.x.person.pk},
        data=lambda w: {"address": "溪美新址9号"}, state=lambda w: snapshot(w.x.person)),
    Row("api:update_person", "PATCH", "write", args=lambda w: {"person_id": w.x.person.pk},
        data=lambda w: {"area_code": LIUCHENG_GRID}, state=lambda w: snapshot(w.x.person),
        expect={"owner": {403, 422}}, changes=False,
        note="not moved into another street's register"),
    Row("api:reveal", "POST", "write", args=lambda w: {"person_id": w.x.person.pk},
        cast={"owner": "street", "teammate": "comm", "outsider": "street2"},
        data=lambda w: {"reason": "核实身份"}, state=count(_model("people.AccessLog"))),
    Row("api:history", args=lambda w: {"person_id": w.x.person.pk}),
    # --- places -----------------------------------------------------------------------------------
    Row("api:list_addresses", kind="list", marker=lambda w: w.x.address.full_text),
    Row("api:match_address", "POST", "list", data=lambda w: {"text": w.x.address.full_text},
        check=no_ximei_candidate, note="candidates only from the caller's jurisdiction"),
    Row("api:get_address", args=lambda w: {"address_id": w.x.address.pk}),
    Row("api:list_buildings", kind="list", marker=lambda w: w.x.building.name),
    Row("api:list_buildings", kind="list", marker=lambda w: w.x.building.name, cast=OTHER_UNIT,
        shown=("owner", "teammate"),
        note="least privilege: a department sees the buildings near its own cases only"),
    Row("api:get_building", args=lambda w: {"building_id": w.x.building.pk}),
    Row("api:building_houses", args=lambda w: {"building_id": w.x.building.pk}),
    Row("api:building_history", args=lambda w: {"building_id": w.x.building.pk}),
    Row("api:house_history", args=lambda w: {"house_id": w.x.house.pk}),
    Row("api:list_houses", kind="list", marker=lambda w: w.x.building.name),
    Row("api:get_house", args=lambda w: {"house_id": w.x.house.pk}),
    Row("api:update_house", "PATCH", "write", args=lambda w: {"house_id": w.x.house.pk},
        data=lambda w: {"usage": "vacant"}, state=lambda w: snapshot(w.x.house)),
    # --- things -----------------------------------------------------------------------------------
    Row("api:list_components", kind="list", marker=lambda w: w.x.component.code),
    Row("api:get_component", args=lambda w: {"component_code": w.x.component.code}),
    Row("api:update_component", "PATCH", "write",
        args=lambda w: {"component_code": w.x.component.code},
        data=lambda w: {"status": "damaged"}, state=lambda w: snapshot(w.x.component)),
    Row("api:component_history", args=lambda w: {"component_code": w.x.component.code}),
    Row("api:list_devices", kind="list", marker=lambda w: w.x.device.device_id),
    # --- organisations ----------------------------------------------------------------------------
    Row("api:list_organisations", kind="list", marker=lambda w: w.x.org.name),
    Row("api:create_organisation", "POST", "write",
        state=count(_model("organisations.Organisation")),
        data=lambda w: {"kind": "small_restaurant", "name": "阿香小吃", "lon": 118.06,
                        "lat": 24.86}, expect={"owner": 201, "outsider": 403}),
    Row("api:get_organisation", args=lambda w: {"org_id": w.x.org.pk}),
    Row("api:update_organisation", "PATCH", "write", args=lambda w: {"org_id": w.x.org.pk},
        data=lambda w: {"risk_level": "major"}, state=lambda w: snapshot(w.x.org)),
    Row("api:organisation_history", args=lambda w: {"org_id": w.x.org.pk}),
    Row("api:add_inspection", "POST", "write", args=lambda w: {"org_id": w.x.org.pk},
        data=lambda w: {"result": "passed"}, state=count(_model("organisations.Inspection")),
        expect={"owner": 201},
        note="a reader (leader, inspector) may not record an inspection"),
    # --- profiles ---------------------------------------------------------------------------------
    Row("api:area_profile", args=lambda w: {"code": XIMEI_COMMUNITY}),
]

ROWS: list[Row] = PAGES + API

# --- the admin ------------------------------------------------------------------------------------
# Every admin URL needs a staff login (checked for every pattern of the admin's namespace). Then,
# per registered model: GLOBAL for tables that belong to no jurisdiction (settings, taxonomy,
# system queues, security logs read by their own roles), else the 溪美 object that a staff member
# of 柳城街道 holding every view permission must not find in the changelist (nor open), while
# one of 溪美街道 does.
GLOBAL = "global"


def admin_world(w, make_user):
    """Staff of each street with every view permission, and the admin-only objects."""
    from django.contrib.auth.models import Permission

    from wangge.accounts.choices import Role
    from wangge.dispatch.models import Department, ResponsibilityRule
    from wangge.evaluation.models import Adjustment, AreaProfile, LogEntry
    from wangge.integrations.models import Alarm, AlarmSlot
    from wangge.open311.models import ApiClient, ServiceRequest
    from wangge.people.models import AccessLog

    views = list(Permission.objects.filter(codename__startswith="view_"))
    for name, area in (("xadmin", XIMEI_TOWN), ("ladmin", LIUCHENG_TOWN)):
        user = make_user(name, Role.ADMIN, w.t[area], is_staff=True)
        user.user_permissions.add(*views)
        w.u[name] = user
    police = Department.objects.get(code="police-350583001")
    a = SimpleNamespace()
    a.rule = ResponsibilityRule.objects.create(category_id=category_pk("0101"),
                                               area=w.t[XIMEI_GRID], department=police)
    a.area_profile = AreaProfile.objects.create(area=w.t[XIMEI_COMMUNITY], population=3000)
    a.adjustment = Adjustment.objects.create(result=w.result, points=1, reason="加分",
                                             created_by=w.u["leader"])
    a.log_entry = LogEntry.objects.filter(evaluation=w.evaluation).first()
    a.alarm = Alarm.objects.create(device=w.x.device, alarm_type="smoke", occurred_at=now(),
                                   outcome="opened", case=w.case)
    a.slot = AlarmSlot.objects.create(device=w.x.device, alarm_type="smoke", case=w.case)
    client = ApiClient.objects.create(name="12345热线", key_digest="0" * 64)
    a.service_request = ServiceRequest.objects.create(case=w.resident, client=client,
                                                      first_name="王")
    a.access_log = AccessLog.objects.create(person=w.x.person, actor=w.u["street"],
                                            reason="核实身份")
    a.token = issue_token_for(w.u["gw"])
    a.inspection = inspection_of(w.x.org, w.u["comm"])
    w.admin = a
    return w


def category_pk(code: str) -> int:
    from wangge.cases.models import Category

    return Category.objects.get(code=code).pk


def issue_token_for(user):
    from wangge.accounts.services import issue_token

    token, _key = issue_token(actor=None, user=user, name="admin row")
    return token


def inspection_of(org, actor):
    from wangge.organisations.models import Inspection
    from wangge.organisations.services import record_inspection

    return Inspection.objects.filter(organisation=org).first() or record_inspection(
        actor, org, result="passed")


def grid_staff(w):
    from wangge.territory.models import GridStaff

    return GridStaff.objects.filter(grid__code=XIMEI_GRID, user=w.u["gw"]).first()


ADMIN_MODELS: dict[str, object] = {
    "accounts.user": lambda w: w.u["gw"],
    "accounts.apitoken": lambda w: w.admin.token,
    "auth.group": GLOBAL,  # groups of permissions
    "audit.auditevent": GLOBAL,  # the 审计员's, read through has_module_permission
    "cases.category": GLOBAL,
    "cases.timelimit": GLOBAL,
    "cases.case": lambda w: w.case,
    "cases.supervision": lambda w: w.supervision,
    "dispatch.department": lambda w: w.admin.rule.department,
    "dispatch.responsibilityrule": lambda w: w.admin.rule,
    "evaluation.scheme": lambda w: w.scheme,
    "evaluation.areaprofile": lambda w: w.admin.area_profile,
    "evaluation.evaluation": lambda w: w.evaluation,
    "evaluation.appeal": lambda w: w.appeal,
    "evaluation.adjustment": lambda w: w.admin.adjustment,
    "evaluation.logentry": lambda w: w.admin.log_entry,
    "gridapp.patrol": lambda w: w.patrol,
    "integrations.platform": GLOBAL,
    "integrations.device": lambda w: w.x.device,
    "integrations.alarmtypemapping": GLOBAL,
    "integrations.alarm": lambda w: w.admin.alarm,
    "integrations.alarmslot": lambda w: w.admin.slot,
    "integrations.subscription": GLOBAL,  # webhook subscribers: the whole territory's
    "integrations.delivery": GLOBAL,
    "jobs.outboxmessage": GLOBAL,
    "open311.apiclient": GLOBAL,
    "open311.serviceattribute": GLOBAL,
    "open311.servicerequest": lambda w: w.admin.service_request,
    "organisations.organisation": lambda w: w.x.org,
    "organisations.inspection": lambda w: w.admin.inspection,
    "people.tag": GLOBAL,
    "people.accesslog": lambda w: w.admin.access_log,
    "people.exportlog": GLOBAL,  # a security log of who exported what, by user
    "territory.area": lambda w: w.x.grid,
    "territory.gridstaff": grid_staff,
    "things.component": lambda w: w.x.component,
    "workcalendar.workperiod": GLOBAL,
    "workcalendar.calendarday": GLOBAL,
}

# leaks in the admin, found by this table: model → what is wrong (the test asserts the right);
# none known (every model is scoped by wangge/core/admin_site.py's jurisdiction rule)
ADMIN_LEAKS: dict[str, str] = {}


# --- the URL patterns -----------------------------------------------------------------------------


def url_patterns(resolver=None, namespace: str = "", prefix: str = ""):
    """Every URL pattern of the project: (key, namespace, route, pattern), key = "ns:name"
    (or the route for a pattern without a name)."""
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            inner = f"{namespace}:{item.namespace}".strip(":") if item.namespace else namespace
            yield from url_patterns(item, inner, prefix + str(item.pattern))
        elif isinstance(item, URLPattern):
            route = prefix + str(item.pattern)
            key = f"{namespace}:{item.name}".strip(":") if item.name else route
            yield key, namespace, route, item


def api_operations() -> dict[str, set[str]]:
    """The API's operations: "api:<url name>" → its HTTP methods."""
    from wangge.api import api

    found: dict[str, set[str]] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                name = getattr(operation, "url_name", None) or operation.view_func.__name__
                found.setdefault(f"api:{name}", set()).update(operation.methods)
    return found
