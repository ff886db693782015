"""Places pages. Desktop: buildings and houses (lists with filters, details with residents
masked and the history, a building's edit form) and the address review queue. Phone: a
building's page for grid workers, reached through its QR token, to update who lives there on
the spot. Public: the QR door plate's page (no login, no personal data) and the printable
plate. Every staff query is scoped to the user's jurisdiction."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core import exporting, ratelimit
from wangge.core.editing import require_editor
from wangge.core.history import history_entries
from wangge.core.permissions import can_edit_base_data
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.people import services as people
from wangge.places import exporter, services
from wangge.places.models import (
    AddressMatch,
    Building,
    BuildingKind,
    House,
    MatchState,
    PlaceChange,
    Residence,
    Usage,
)
from wangge.territory.choices import UNIT_GRID_LEVELS
from wangge.territory.models import Area

HISTORY_LABELS = {
    "name": _l("Name"), "grid": _l("Grid"), "kind": _l("Kind"), "floors": _l("Floors"),
    "address": _l("Address"), "lon": _l("Longitude"), "lat": _l("Latitude"),
    "building": _l("Building"), "unit_no": _l("Unit"), "room_no": _l("Room"),
    "usage": _l("Usage"), "floor_area_m2": _l("Floor area (m²)"),
    "owner": _l("Owner / landlord"), "person": _l("Resident"), "house": _l("House"),
    "relation": _l("Relation"), "is_tenant": _l("Tenant"), "since": _l("Since"),
    "until": _l("Until"), "road": _l("Road"), "door_number": _l("Door number"),
    "building_no": _l("Building no."), "full_text": _l("Standard address"),
    "area": _l("Area"),
}


def _display(key, value):
    if value in (None, ""):
        return ""
    if key == "usage" and value in Usage.values:
        return Usage(value).label
    if key == "kind" and value in BuildingKind.values:
        return BuildingKind(value).label
    if key == "is_tenant":
        return _("yes") if value else _("no")
    return value


def history(changes) -> list[dict]:
    return history_entries(changes, HISTORY_LABELS, display=_display)


def _residents(houses, *, current_only=True) -> dict[int, list[dict]]:
    """Per house, its residents with masked ID numbers."""
    residences = Residence.objects.filter(house__in=houses).select_related("person")
    if current_only:
        residences = residences.filter(until__isnull=True)
    out: dict[int, list[dict]] = {}
    for r in residences.order_by("until", "-since", "pk"):
        out.setdefault(r.house_id, []).append(
            {"residence": r, "person": r.person, "id_number": people.masked_id(r.person)})
    return out


# --- buildings --------------------------------------------------------------------------------
@login_required
def building_list(request):
    params = {k: request.GET.get(k, "").strip() for k in ("q", "grid", "kind")}
    qs, problem = exporter.filtered_buildings(request.user, params)
    qs = qs.select_related("grid", "address").annotate(
        house_count=Count("houses", distinct=True)).order_by("grid__code", "name", "pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "places/building_list.html", {
        "page": page, "params": params, "kinds": BuildingKind.choices, "problem": problem,
        "query": urlencode({k: v for k, v in params.items() if v}),
        "pending": scoped(AddressMatch, request.user).filter(
            state=MatchState.PENDING).count()})


@never_cache
@login_required
def building_export(request):
    """The buildings list's rows (its filter, the user's jurisdiction) as CSV or XLSX."""
    return exporting.web_export(request, "buildings")


@never_cache
@login_required
def house_export(request):
    """The houses list's rows as CSV or XLSX; owners' ID numbers masked unless the user may
    see them (then a small form asks whether and why); logged."""
    return exporting.web_export(request, "houses")


@never_cache
@login_required
def building_detail(request, pk: int):
    building = get_scoped_or_404(Building, request.user, pk=pk)
    houses = list(building.houses.select_related("owner"))
    residents = _residents(houses)
    rows = [{"house": h, "residents": residents.get(h.pk, []),
             "owner": (f"{h.owner.name} {people.masked_id(h.owner)}" if h.owner_id else "")}
            for h in houses]
    return render(request, "places/building_detail.html", {
        "building": building, "rows": rows,
        "history": history(PlaceChange.objects.filter(building=building)),
        "can_edit": can_edit_base_data(request.user),
        "public_url": reverse("places:qr", args=[building.qr_token]),
        "phone_url": reverse("places:phone", args=[building.qr_token]),
        "plate_url": reverse("places:plate", args=[building.qr_token])})


class BuildingForm(forms.Form):
    name = forms.CharField(label=_l("Name"), max_length=80)
    kind = forms.ChoiceField(label=_l("Kind"), choices=BuildingKind.choices)
    floors = forms.IntegerField(label=_l("Floors"), required=False, min_value=1,
                                max_value=199)
    lon = forms.FloatField(label=_l("Longitude"), required=False,
                           help_text=_l("WGS-84. With a point the grid is located from it."))
    lat = forms.FloatField(label=_l("Latitude"), required=False)
    grid = forms.CharField(label=_l("Grid code"), required=False, max_length=18,
                           help_text=_l("Used when no point is given."))
    address = forms.CharField(label=_l("Standard address"), required=False, max_length=200,
                              help_text=_l("Matched to a standard address; a poor match goes "
                                           "to the review queue."))

    def clean(self):
        data = super().clean()
        if (data.get("lon") is None) != (data.get("lat") is None):
            raise ValidationError(_("Give both longitude and latitude, or neither."))
        return data


@never_cache
@login_required
def building_edit(request, pk: int):
    building = get_scoped_or_404(Building, request.user, pk=pk)
    require_editor(request.user)
    initial = {"name": building.name, "kind": building.kind, "floors": building.floors,
               "lon": building.lon, "lat": building.lat, "grid": building.grid.code,
               "address": building.address.full_text if building.address_id else ""}
    form = BuildingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {"name": data["name"], "kind": data["kind"], "floors": data["floors"],
                   "lon": data["lon"], "lat": data["lat"]}
        if data["lon"] is None:
            grid = scoped(Area, request.user).filter(code=data["grid"],
                                                     level__in=UNIT_GRID_LEVELS).first()
            if grid is None:
                form.add_error("grid", _("No grid in your jurisdiction has this code."))
            changes["grid"] = grid
        text = data["address"].strip()
        queued = False
        if not text:
            changes["address"] = None
        elif not (building.address_id and text == building.address.full_text):
            found, _result = services.match_address(request.user, text, building=building)
            if found is not None:
                changes["address"] = found
            else:
                queued = True
        if not form.errors:
            try:
                services.update_building(request.user, building, **changes)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Building saved."))
                if queued:
                    messages.info(request, _("The address did not match a standard address "
                                             "well enough; it waits in the review queue."))
                return redirect("places:building", pk=building.pk)
    return render(request, "places/building_edit.html", {"building": building, "form": form})


# --- houses -----------------------------------------------------------------------------------
@login_required
def house_list(request):
    params = {k: request.GET.get(k, "").strip() for k in ("q", "grid", "usage")}
    qs, problem = exporter.filtered_houses(request.user, params)
    qs = qs.select_related("building__grid").annotate(
        resident_count=Count("residences", filter=Q(residences__until__isnull=True))).order_by(
        "building__grid__code", "building__name", "unit_no", "room_no", "pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "places/house_list.html", {
        "page": page, "params": params, "usages": Usage.choices, "problem": problem,
        "query": urlencode({k: v for k, v in params.items() if v})})


@never_cache
@login_required
def house_detail(request, pk: int):
    house = get_scoped_or_404(House, request.user, pk=pk)
    everyone = _residents([house], current_only=False).get(house.pk, [])
    return render(request, "places/house_detail.html", {
        "house": house,
        "owner": (f"{house.owner.name} {people.masked_id(house.owner)}" if house.owner_id
                  else ""),
        "current": [r for r in everyone if r["residence"].until is None],
        "past": [r for r in everyone if r["residence"].until is not None],
        "history": history(PlaceChange.objects.filter(house=house))})


# --- the address review queue -------------------------------------------------------------------
@never_cache
@login_required
def review(request):
    state = request.GET.get("state", MatchState.PENDING)
    if state not in MatchState.values:
        state = MatchState.PENDING
    qs = scoped(AddressMatch, request.user).filter(state=state).select_related(
        "candidate", "decided_by", "building")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "places/review.html", {
        "page": page, "state": state, "states": MatchState.choices,
        "can_edit": can_edit_base_data(request.user)})


@login_required
@require_POST
def review_decide(request, pk: int):
    match = get_scoped_or_404(AddressMatch, request.user, pk=pk)
    try:
        services.decide_match(request.user, match, request.POST.get("decision") == "accept")
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("places:review")


# --- the phone page for grid workers ------------------------------------------------------------
def _phone_context(request, building) -> dict:
    from wangge.gridapp.views import js_strings

    houses = list(building.houses.all())
    residents = _residents(houses)
    return {"building": building, "nav_active": "", "js_strings": js_strings(),
            "manifest_url": reverse("gridapp:manifest"), "sw_url": reverse("gridapp:sw"),
            "rows": [{"house": h, "residents": residents.get(h.pk, [])} for h in houses],
            "usages": Usage.choices, "can_edit": can_edit_base_data(request.user),
            "public_url": reverse("places:qr", args=[building.qr_token])}


@never_cache
@login_required
def phone_buildings(request):
    """The grid worker's buildings on the phone: search by name or address, open one to look
    up and update its residents on the spot."""
    from wangge.gridapp.views import js_strings

    q = request.GET.get("q", "").strip()
    buildings = scoped(Building, request.user).select_related("grid", "address").annotate(
        house_count=Count("houses", distinct=True),
        resident_count=Count("houses__residences", filter=Q(
            houses__residences__until__isnull=True), distinct=True)).order_by(
        "grid__code", "name", "pk")
    if q:
        buildings = buildings.filter(Q(name__icontains=q) | Q(address__full_text__icontains=q))
    page = Paginator(buildings, 30).get_page(request.GET.get("page"))
    return render(request, "places/phone_buildings.html", {
        "page": page, "q": q, "nav_active": "buildings", "js_strings": js_strings(),
        "manifest_url": reverse("gridapp:manifest"), "sw_url": reverse("gridapp:sw")})


@never_cache
@login_required
def phone_building(request, token: str):
    building = get_scoped_or_404(Building, request.user, qr_token=token)
    if request.method == "POST":
        require_editor(request.user)
        _phone_action(request, building)
        return redirect(reverse("places:phone", args=[token]) + request.POST.get("anchor", ""))
    return render(request, "places/phone_building.html", _phone_context(request, building))


def _phone_action(request, building) -> None:
    action = request.POST.get("action", "")
    house_id = request.POST.get("house", "")
    house = building.houses.filter(pk=house_id).first() if house_id.isdigit() else None
    user = request.user
    try:
        if action == "add" and house is not None:
            services.register_resident_by_id_number(
                user, house=house, id_number=request.POST.get("id_number", ""),
                is_tenant=request.POST.get("tenant") == "1", source="phone")
            messages.success(request, _("Resident added."))
        elif action == "end":
            rid = request.POST.get("residence", "")
            residence = Residence.objects.filter(house__building=building, pk=rid).first() \
                if rid.isdigit() else None
            if residence is None:
                raise Http404
            services.end_residence(user, residence, source="phone")
            messages.success(request, _("Residence ended."))
        elif action == "usage" and house is not None:
            services.set_usage(user, house, request.POST.get("usage", ""), source="phone")
            messages.success(request, _("Usage changed."))
        else:
            messages.error(request, _("Nothing was changed."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied:
        messages.error(request, _("This is outside your jurisdiction."))
    except ratelimit.RateLimited as limited:
        messages.error(request, _("Too many lookups by ID number: try again in %(seconds)s "
                                  "seconds.") % {"seconds": limited.wait})


ERROR_TEXTS = {
    "no one with this ID number is registered in your jurisdiction": _l(
        "No one with this ID number is registered in your jurisdiction. Register the person "
        "first."),
    "this person is registered in another jurisdiction": _l(
        "This person is registered in another jurisdiction."),
}


def _error_text(exc: ValidationError) -> str:
    texts = [str(ERROR_TEXTS.get(m, m)) for m in exc.messages]
    return "；".join(texts)


# --- public: the QR page and the door plate ----------------------------------------------------
def _report_url(building) -> str:
    address = building.address.full_text if building.address_id else building.name
    if building.lon is not None and building.lat is not None:
        query = {"lon": f"{building.lon:.6f}", "lat": f"{building.lat:.6f}", "address": address}
    else:
        query = {"grid": building.grid.code, "address": address}
    return reverse("portal:report") + "?" + urlencode(query)


def public_building(request, token: str):
    """No login, no personal data: the building, its community and grid, and a button to the
    resident report form prefilled with its position and address."""
    building = get_object_or_404(Building.objects.select_related("grid__parent", "address"),
                                 qr_token=token)
    staff_url = None  # a grid worker scanning the plate goes on to the building's residents
    if request.user.is_authenticated and scoped(Building, request.user).filter(
            pk=building.pk).exists():
        staff_url = reverse("places:phone", args=[building.qr_token])
    return render(request, "places/public_building.html", {
        "building": building, "community": building.grid.parent,
        "report_url": _report_url(building), "staff_url": staff_url})


def qr_svg(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=2)
    return image.to_string(encoding="unicode")


@login_required
def plate(request, token: str):
    building = get_scoped_or_404(Building, request.user, qr_token=token)
    url = request.build_absolute_uri(reverse("places:qr", args=[token]))
    return render(request, "places/plate.html", {
        "building": building, "community": building.grid.parent, "url": url,
        "svg": qr_svg(url)})

