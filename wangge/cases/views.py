"""Case pages: the list with filters and traffic lights, the detail with its timeline and the
actions the user may take, and the report form. Thin: every change goes through services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.cases import services
from wangge.cases.choices import (
    Action,
    LimitUnit,
    Satisfaction,
    Source,
    Status,
    SupervisionLevel,
    Tier,
    Urgency,
)
from wangge.cases.models import Case, Category, ExtensionRequest
from wangge.cases.selectors import FilterError, filter_cases, visible_cases
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.dispatch.models import Department
from wangge.dispatch.services import propose
from wangge.territory.models import Area

FILTER_KEYS = ["status", "category", "grid", "area", "overdue", "light", "holder", "date_from",
               "date_to", "q", "source", "urgency"]


@login_required
def case_list(request):
    params = {k: request.GET.get(k) or None for k in FILTER_KEYS}
    now = timezone.now()
    try:
        queryset = filter_cases(visible_cases(request.user), user=request.user, now=now,
                                ordering=request.GET.get("ordering", "reported"), **params)
    except FilterError as exc:
        messages.error(request, str(exc))
        queryset = filter_cases(visible_cases(request.user), user=request.user, now=now)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    for case in page.object_list:
        case.current_light = case.light(now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/list.html", {
        "page": page, "params": params, "query": query.urlencode(),
        "statuses": Status.choices, "sources": Source.choices, "urgencies": Urgency.choices,
        "majors": Category.objects.filter(parent__isnull=True).order_by("code"),
    })


@login_required
def case_detail(request, number: str):
    case = get_scoped_or_404(Case, request.user, number=number)
    now = timezone.now()
    allowed = services.allowed_actions(case, request.user)
    events = case.events.select_related("to_department", "to_user").prefetch_related(
        "attachments").order_by("id")
    context = {
        "case": case, "light": case.light(now), "events": events, "allowed": allowed,
        "attachments": case.attachments.all(),
        "pending": case.extensions.filter(state=ExtensionRequest.State.PENDING).first(),
        "supervisions": case.supervisions.order_by("-created_at"),
        "staff": case.grid.staff.select_related("user"),
        "nearby": scoped(Case, request.user).filter(
            grid=case.grid).exclude(pk=case.pk).exclude(
            status__in=[Status.CLOSED, Status.REJECTED, Status.VOIDED, Status.MERGED])[:8],
        "A": Action, "tiers_down": [t for t in (Tier.STREET, Tier.COMMUNITY)
                                    if Tier.values.index(t) < Tier.values.index(case.tier)],
        "satisfactions": Satisfaction.choices, "levels": SupervisionLevel.choices,
        "units": LimitUnit.choices,
    }
    if Action.DISPATCH in allowed:
        context["proposal"] = propose(case)
        context["departments"] = Department.objects.filter(
            is_active=True, area__in=_chain(case.grid)).order_by("-area__level", "kind")
        from wangge.accounts.models import User

        context["people"] = User.objects.filter(
            is_active=True, jurisdiction__prefix__in=[a.prefix for a in _chain(case.grid)],
            role__in=["grid_worker", "dispatcher"]).order_by("username")[:50]
    return render(request, "cases/detail.html", context)


def _chain(area):
    chain = []
    while area is not None:
        chain.append(area)
        area = area.parent
    return chain


@login_required
@require_POST
def act(request, number: str, action: str):
    """Run one transition from the detail page's forms; errors come back as messages."""
    case = get_scoped_or_404(Case, request.user, number=number)
    data = request.POST
    version = int(data["version"]) if data.get("version", "").isdigit() else None
    note = data.get("note", "")
    common = {"actor": request.user, "case": case, "expected_version": version}
    photos = request.FILES.getlist("photos")
    try:
        if action == Action.ACCEPT:
            services.accept(note=note, **common)
        elif action == Action.REJECT:
            services.reject(note=note, **common)
        elif action == Action.VOID:
            services.void(note=note, **common)
        elif action == Action.MERGE:
            master = get_scoped_or_404(Case, request.user, number=data.get("master", ""))
            services.merge(master=master, note=note, **common)
        elif action == Action.DISPATCH:
            target = data.get("target", "")
            kind, _sep, value = target.partition(":")
            services.dispatch(department=value if kind == "dept" else None,
                              user=value if kind == "user" else None, note=note, **common)
        elif action == Action.ASSIGN_DOWN:
            services.assign_down(tier=data.get("tier", ""), note=note, **common)
        elif action == Action.ESCALATE:
            services.escalate(note=note, **common)
        elif action == Action.SIGN:
            services.sign(note=note, **common)
        elif action == Action.FEEDBACK:
            services.feedback(note=note, photos=photos, **common)
        elif action == Action.RETURN:
            services.return_case(note=note, **common)
        elif action == Action.EXTENSION_REQUEST:
            services.request_extension(amount=data.get("amount", ""), unit=data.get("unit", ""),
                                       note=note, **common)
        elif action in (Action.EXTENSION_APPROVE, Action.EXTENSION_REFUSE):
            pending = case.extensions.filter(state=ExtensionRequest.State.PENDING).first()
            if pending is None:
                raise services.Conflict(_("There is no extension request waiting."))
            services.decide_extension(actor=request.user, request=pending,
                                      approve=action == Action.EXTENSION_APPROVE, note=note,
                                      expected_version=version)
        elif action == Action.PARK:
            try:
                until = dt.date.fromisoformat(data.get("until", ""))
            except ValueError:
                raise services.CaseError(_("Give the commitment date as YYYY-MM-DD.")) from None
            services.park(until=until, note=note, **common)
        elif action == Action.RESUME:
            services.resume(note=note, **common)
        elif action in (Action.VERIFY_PASS, Action.VERIFY_FAIL):
            services.verify(passed=action == Action.VERIFY_PASS, note=note, photos=photos,
                            **common)
        elif action == Action.CLOSE:
            services.close(note=note, **common)
        elif action == Action.EVALUATE:
            services.evaluate(satisfaction=data.get("satisfaction", ""), comment=note, **common)
        elif action == Action.URGE:
            services.urge(note=note, **common)
        elif action == Action.INSTRUCT:
            services.instruct(note=note, **common)
        elif action == Action.SUPERVISE:
            services.supervise(level=data.get("level", "normal"), note=note, **common)
        else:
            raise Http404("unknown action")
    except services.CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": Action(action).label})
    return redirect("cases:detail", number=number)


@login_required
def report_form(request):
    categories = Category.objects.filter(parent__isnull=False, is_active=True).select_related(
        "parent").order_by("code")
    grids = scoped(Area, request.user).filter(level__in=[4, 5]).order_by("code")[:500]
    form = {"category": "", "description": "", "address": "", "lon": "", "lat": "",
            "crs": "wgs84", "grid": "", "urgency": "", "source": Source.PATROL}
    if request.method == "POST":
        form.update({k: request.POST.get(k, "") for k in form})
        try:
            lon = float(form["lon"]) if form["lon"].strip() else None
            lat = float(form["lat"]) if form["lat"].strip() else None
        except ValueError:
            messages.error(request, _("Longitude and latitude must be numbers."))
        else:
            try:
                case = services.report(
                    actor=request.user, category=form["category"],
                    description=form["description"], source=form["source"] or Source.PATROL,
                    lon=lon, lat=lat, crs=form["crs"] or "wgs84", grid_code=form["grid"],
                    address=form["address"], urgency=form["urgency"] or None,
                    self_handled=request.POST.get("self_handled") == "on",
                    resolution=request.POST.get("resolution", ""),
                    photos=request.FILES.getlist("photos"),
                    result_photos=request.FILES.getlist("result_photos"))
            except services.CaseError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Case %(number)s reported.") % {
                    "number": case.number})
                return redirect("cases:detail", number=case.number)
    return render(request, "cases/report.html", {
        "form": form, "categories": categories, "grids": grids, "sources": Source.choices,
        "urgencies": Urgency.choices}, status=400 if request.method == "POST" else 200)


@login_required
def case_file(request, number: str, attachment_id: int):
    case = get_scoped_or_404(Case, request.user, number=number)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such file")
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
