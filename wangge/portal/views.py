"""The resident portal (公众服务): report a problem and follow it, without an account.

Safety: every form carries Django's CSRF token; reports and lookups are rate-limited per client
(ratelimit.py); photos are checked by content (cases.uploads.check_upload), at most three; a
honeypot field catches form-filling bots; the tracking token is the only credential for a case's
page, and the lookup by number needs the last four digits of the reporter's phone, answering an
unknown number and wrong digits alike. Pages built from a case show only public steps
(public.py): no staff names, no notes, no other resident's data.
"""

from __future__ import annotations

import functools
import gzip
import hmac
import json
import re

from django.contrib import messages
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangge.cases import services
from wangge.cases.choices import Source, Status
from wangge.cases.models import Case
from wangge.core import ratelimit
from wangge.portal import public
from wangge.portal.categories import common, grouped, resident_categories
from wangge.portal.forms import MAX_PHOTOS, LookupForm, RateForm, ReportForm, check_photos

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


# --- helpers -------------------------------------------------------------------------------


def private(view):
    """Pages that carry or show a tracking token: never cached, never sent to other sites as
    a referrer, never indexed."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def limited(request, wait: int, *, json_answer: bool = False):
    if json_answer:
        response = JsonResponse({"error": _("Too many requests. Please wait a few minutes.")},
                                status=429)
    else:
        response = render(request, "portal/limited.html",
                          {"minutes": max(1, (wait + 59) // 60)}, status=429)
    response["Retry-After"] = str(wait)
    return response


def browser_of(request) -> str:
    """The resident's browser, as the owner of the refs of its report forms: its CSRF secret
    (a random cookie set when the form was shown, and required to send it), so that a form
    sent again finds its case, and the same ref from another browser is another report.
    Empty when the request has no such cookie."""
    secret = request.META.get("CSRF_COOKIE") or ""
    return f"portal:{secret}" if secret else ""


def _case_by_token(token: str) -> Case | None:
    if not TOKEN_RE.match(token or ""):
        return None
    return (Case.objects.select_related("category", "category__parent", "holder_department",
                                        "duplicate_of")
            .filter(tracking_token=token).first())


def _not_found(request, status=404):
    return render(request, "portal/not_found.html", status=status)


def _place_name(grid_id) -> str:
    from wangge.territory.models import Area

    grid = Area.objects.select_related("parent", "parent__parent").filter(pk=grid_id).first()
    if grid is None:
        return ""
    names = [grid.name]
    node = grid.parent
    while node is not None and node.level >= 3:
        names.insert(0, node.name)
        node = node.parent
    return " · ".join(names)


def describe_place(lon, lat, crs, grid_code) -> dict | None:
    """What the page says about a prefilled or chosen location: where it is, or what is wrong."""
    from wangge.territory import locate as locating
    from wangge.territory.choices import UNIT_GRID_LEVELS
    from wangge.territory.models import Area

    if lon is not None and lat is not None:
        try:
            found = locating.locate(lon, lat, crs or "wgs84")
        except ValueError:
            return {"ok": False, "text": _("The position is not valid.")}
        if not found.inside:
            return {"ok": False, "text": outside_message()}
        return {"ok": True, "text": _place_name(found.grid_id)}
    if grid_code:
        grid = Area.objects.filter(code=grid_code, level__in=list(UNIT_GRID_LEVELS)).first()
        if grid is None:
            return {"ok": False, "text": _("The building code is not valid. Use your position "
                                           "or the map instead.")}
        return {"ok": True, "text": _place_name(grid.pk)}
    return None


def outside_message() -> str:
    return _("This place is outside the area we serve: no grid covers it. Choose a point "
             "inside the outlined area, or call the 12345 hotline.")


def _float(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -1000 < number < 1000 else None


# --- pages ---------------------------------------------------------------------------------


@require_GET
def home(request):
    return render(request, "portal/home.html", {"lookup": LookupForm()})


@require_http_methods(["GET", "POST"])
def report(request):
    import uuid

    who = ratelimit.client_ip(request)
    categories = resident_categories()
    status = 200
    photo_error = None
    if request.method == "POST":
        wait = ratelimit.take("report_post", who) or ratelimit.retry_after("report", who)
        if wait:
            return limited(request, wait)
        if request.POST.get("website"):
            # a bot filled the hidden field: answer as if all went well, keep nothing
            ratelimit.hit("report", who)
            return render(request, "portal/received.html")
        form = ReportForm(request.POST, categories=categories)
        photos = request.FILES.getlist("photos")
        photo_error = check_photos(photos)
        if form.is_valid() and photo_error is None:
            data = form.cleaned_data
            try:
                case = services.report(
                    actor=None, category=data["category"], description=data["description"],
                    source=Source.RESIDENT, lon=data["lon"], lat=data["lat"],
                    crs=data["crs"] or "wgs84", grid_code=data["grid"] if data["lon"] is None
                    else "", address=data["address"], reporter_name=data["name"],
                    reporter_phone=data["phone"], photos=photos,
                    client_ref=data["client_ref"],
                    client_owner=browser_of(request) or "portal")
            except services.CaseError as exc:
                if exc.code == "outside_jurisdiction":
                    form.add_error(None, outside_message())
                else:
                    form.add_error(None, exc.message)
            else:
                if case.replayed and not browser_of(request):
                    # sent again by a client we cannot tell apart from others: not its link
                    return render(request, "portal/received.html")
                if not case.replayed:
                    ratelimit.hit("report", who)
                return redirect("portal:done", token=case.tracking_token)
        status = 400
        values = {k: form.data.get(k, "") for k in ("lon", "lat", "crs", "grid")}
        client_ref = form.data.get("client_ref", "") or uuid.uuid4().hex
    else:
        query = request.GET
        values = {"lon": query.get("lon", ""), "lat": query.get("lat", ""),
                  "crs": query.get("crs", "") if query.get("crs") in ("wgs84", "gcj02", "bd09")
                  else "wgs84", "grid": query.get("grid", "")[:18]}
        if _float(values["lon"]) is None or _float(values["lat"]) is None:
            values["lon"] = values["lat"] = ""
        client_ref = uuid.uuid4().hex
        form = ReportForm(categories=categories, initial={
            "address": query.get("address", "")[:200], "category": query.get("type", ""),
            **values, "client_ref": client_ref})
    lon, lat = _float(values["lon"]), _float(values["lat"])
    place = describe_place(lon, lat, values["crs"], values["grid"])
    prefilled = request.method == "GET" and place is not None
    return render(request, "portal/report.html", {
        "form": form, "groups": grouped(categories), "common": common(categories),
        "values": values, "place": place, "prefilled": prefilled, "client_ref": client_ref,
        "photo_error": photo_error, "max_photos": MAX_PHOTOS,
        "selected": form["category"].value() or "",
    }, status=status)


@private
@require_GET
def done(request, token: str):
    wait = ratelimit.take("lookup", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait)
    case = _case_by_token(token)
    if case is None:
        return _not_found(request)
    link = request.build_absolute_uri(reverse("portal:track", args=[case.tracking_token]))
    return render(request, "portal/done.html", {"case": case, "link": link})


@private
@require_http_methods(["GET", "POST"])
def lookup(request):
    form = LookupForm(request.POST or None)
    status = 200
    if request.method == "POST":
        who = ratelimit.client_ip(request)
        wait = ratelimit.take("lookup", who)
        if wait:
            return limited(request, wait)
        status = 400
        if form.is_valid():
            number, digits = form.cleaned_data["number"], form.cleaned_data["digits"]
            if ratelimit.retry_after("lookup_number", number):
                form.add_error(None, _(
                    "Too many wrong tries for this number. Open the link you saved when "
                    "reporting, or try again in an hour."))
            else:
                case = Case.objects.filter(number=number).only(
                    "number", "reporter_phone", "tracking_token").first()
                phone = re.sub(r"\D", "", case.reporter_phone) if case else ""
                expected = phone[-4:] if len(phone) >= 4 else "----"
                if case is not None and hmac.compare_digest(expected, digits):
                    return redirect("portal:track", token=case.tracking_token)
                ratelimit.hit("lookup_number", number)
                form.add_error(None, _(
                    "No case matches this number and these digits. Check the number on your "
                    "receipt and use the phone number you gave when reporting."))
    return render(request, "portal/lookup.html", {"lookup": form}, status=status)


@private
@require_GET
def track(request, token: str):
    wait = ratelimit.take("lookup", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait)
    case = _case_by_token(token)
    if case is None:
        return _not_found(request)
    return render(request, "portal/track.html", _track_context(case, RateForm()))


def _track_context(case: Case, rate_form) -> dict:
    master = public.master_of(case) if case.status == Status.MERGED else None
    can_rate = case.status == Status.CLOSED and case.evaluated_at is None
    return {
        "case": case,
        "progress": public.progress(case),
        "master": public.progress(master) if master is not None else None,
        "own_photos": public.own_photos(case),
        "result_photos": public.result_photos(master or case),
        "can_rate": can_rate,
        "rate_form": rate_form,
        "rating": public.satisfaction_label(case.satisfaction),
    }


@private
@require_POST
def rate(request, token: str):
    wait = ratelimit.take("lookup", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait)
    case = _case_by_token(token)
    if case is None:
        return _not_found(request)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.evaluate(actor=None, case=case,
                              satisfaction=form.cleaned_data["satisfaction"],
                              comment=form.cleaned_data["comment"], token=token)
        except services.CaseError as exc:
            messages.error(request, exc.message if exc.code != "invalid_transition" else
                           _("This case was already rated, or is not closed yet."))
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect("portal:track", token=token)
    case.refresh_from_db()
    return render(request, "portal/track.html", _track_context(case, form), status=400)


@private
@require_GET
def photo(request, token: str, pk: int):
    wait = ratelimit.take("photo", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait)
    case = _case_by_token(token)
    attachment = public.visible_photos(case).get(pk) if case is not None else None
    if attachment is None:
        raise Http404("no such photo")
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- small JSON endpoints for the report page ------------------------------------------------


@require_GET
def locate(request):
    wait = ratelimit.take("map", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait, json_answer=True)
    lon, lat = _float(request.GET.get("lon")), _float(request.GET.get("lat"))
    crs = request.GET.get("crs", "wgs84")
    if lon is None or lat is None or crs not in ("wgs84", "gcj02", "bd09"):
        return JsonResponse({"inside": False, "text": _("The position is not valid.")},
                            status=400)
    place = describe_place(lon, lat, crs, "")
    return JsonResponse({"inside": place["ok"], "text": place["text"]})


GRID_SIMPLIFY_DEGREES = 0.00005  # about 5 m: outlines for orientation, not for measuring


def _grid_outlines() -> tuple[bytes, bytes]:
    """The unit grids valid today as simplified GeoJSON (plain and gzipped), cached per
    territory version and day."""
    from shapely.geometry import mapping, shape

    from wangge.territory import locate as locating
    from wangge.territory.models import Area
    from wangge.territory.selectors import unit_grids

    today = timezone.localdate()
    key = f"wangge:portal:grids:{locating.current_version()}:{today.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    features = []
    rows = unit_grids(Area.objects.all(), today).select_related("parent").values_list(
        "code", "name", "parent__name", "geometry")
    for code, name, parent_name, geometry in rows.order_by("code"):
        if not geometry:
            continue
        simple = shape(geometry).simplify(GRID_SIMPLIFY_DEGREES, preserve_topology=True)
        features.append({"type": "Feature", "geometry": _rounded(mapping(simple)),
                         "properties": {"code": code, "name": name, "area": parent_name}})
    body = json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode()
    value = (body, gzip.compress(body, 6))
    cache.set(key, value, 3600)
    return value


def _rounded(geometry: dict) -> dict:
    def walk(item):
        if isinstance(item, list | tuple):
            if item and isinstance(item[0], int | float):
                return [round(item[0], 5), round(item[1], 5)]
            return [walk(part) for part in item]
        return item

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


@require_GET
def grids(request):
    wait = ratelimit.take("map", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait, json_answer=True)
    body, zipped = _grid_outlines()
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(zipped, content_type="application/geo+json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="application/geo+json")
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=600"
    return response
