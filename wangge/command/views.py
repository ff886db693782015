"""The command center (指挥中心): queue, boards and live map on one desktop screen. Thin:
reads come from command.selectors, every change from cases.services."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wangge.accounts.choices import Role
from wangge.cases import services
from wangge.cases.models import Case
from wangge.command import selectors
from wangge.core.scope import get_scoped_or_404
from wangge.dispatch.models import Department
from wangge.dispatch.services import propose
from wangge.territory.models import Area

DESK_ROLES = {Role.OPERATOR, Role.DISPATCHER, Role.ADMIN, Role.LEADER, Role.INSPECTOR}


def desk_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user.role in DESK_ROLES):
            raise PermissionDenied(_("The command center is for dispatchers, operators, "
                                     "leaders and inspectors."))
        return view(request, *args, **kwargs)

    return wrapper


def _root(user) -> Area | None:
    if user.jurisdiction_id:
        return user.jurisdiction
    return Area.objects.filter(parent__isnull=True).order_by("code").first()


@desk_required
def center(request):
    return render(request, "command/center.html", {
        "counts": selectors.counts(request.user),
        "root": _root(request.user),
        "can_act": request.user.is_superuser or request.user.role in services.DISPATCH_ROLES,
    })


def _queue_context(request, message: str = "", error: str = ""):
    items = selectors.queue(request.user)
    departments = {}
    for case in items:
        case.proposal = propose(case)
    chain_ids = {a for c in items for a in _chain_ids(c.grid)}
    for department in Department.objects.filter(is_active=True, area_id__in=chain_ids):
        departments[department.pk] = department
    return {"items": items, "departments": sorted(departments.values(),
                                                  key=lambda d: (-d.area.level, d.name)),
            "message": message, "error": error, "now": timezone.now(),
            "count": len(items)}


def _chain_ids(area):
    ids = []
    while area is not None:
        ids.append(area.pk)
        area = area.parent
    return ids


@desk_required
def queue(request):
    return render(request, "command/_queue.html", _queue_context(request))


@desk_required
def boards(request):
    now = timezone.now()
    red, yellow = selectors.deadline_board(request.user, now)
    return render(request, "command/_boards.html", {
        "red": red, "yellow": yellow, "now": now,
        "returned": selectors.returned(request.user),
        "extensions": selectors.pending_extensions(request.user),
        "supervisions": selectors.open_supervisions(request.user),
        "to_dispatch": selectors.to_dispatch(request.user),
        "counts": selectors.counts(request.user, now),
    })


@desk_required
@require_POST
def quick(request, number: str, action: str):
    """Accept / accept and dispatch / reject / merge straight from the queue."""
    case = get_scoped_or_404(Case, request.user, number=number)
    version = request.POST.get("version")
    version = int(version) if version and version.isdigit() else None
    note = request.POST.get("note", "").strip()
    message = error = ""
    try:
        if action == "accept":
            services.accept(actor=request.user, case=case, expected_version=version, note=note)
            message = _("%(number)s accepted.") % {"number": number}
        elif action == "accept_dispatch":
            target = request.POST.get("department", "")
            if not target:
                raise services.CaseError(_("Choose the unit to dispatch to."))
            case = services.accept(actor=request.user, case=case, expected_version=version,
                                   note=note)
            services.dispatch(actor=request.user, case=case, department=target,
                              expected_version=case.version)
            message = _("%(number)s accepted and dispatched.") % {"number": number}
        elif action == "reject":
            services.reject(actor=request.user, case=case, expected_version=version, note=note)
            message = _("%(number)s not filed.") % {"number": number}
        elif action == "merge":
            master = request.POST.get("master", "")
            services.merge(actor=request.user, case=case, master=master, note=note,
                           expected_version=version)
            message = _("%(number)s merged into %(master)s.") % {"number": number,
                                                                 "master": master}
        else:
            raise services.CaseError(_("Unknown action."))
    except services.CaseError as exc:
        error = exc.message
    if request.headers.get("HX-Request"):
        return render(request, "command/_queue.html", _queue_context(request, message, error))
    from django.contrib import messages

    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect("command:center")


@desk_required
def map_data(request):
    root = _root(request.user)
    now = timezone.now()
    return JsonResponse({
        "grids": selectors.grid_outlines(root) if root else [],
        "load": selectors.grid_load(request.user, now),
        "cases": selectors.case_points(request.user, now),
        "generated": now.isoformat(),
    })
