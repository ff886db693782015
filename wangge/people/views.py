"""People pages: the list with filters and the detail with its history. Every query is scoped
to the user's jurisdiction; ID numbers and phones are shown masked, the clear ID number only
through the reveal form (permitted users, a reason, an access-log row)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wangge.core import exporting
from wangge.core.scope import get_scoped_or_404
from wangge.people import exporter, services
from wangge.people.models import Kind, Person, PersonChange, Tag

FILTER_KEYS = ["q", "kind", "area", "tag"]
HISTORY_FIELDS = [("name", _l("Name")), ("kind", _l("Kind")), ("id_number", _l("ID number")),
                  ("phone", _l("Phone")), ("area", _l("Grid or community")),
                  ("address", _l("Address")), ("tags", _l("Tags")),
                  ("sensitive_tags", _l("Special groups"))]


visible_tags = exporter.visible_tags


def _shown_tags(person, user) -> list[Tag]:
    see_all = services.can_view_sensitive_tags(user)
    return [t for t in person.tags.all() if see_all or not t.sensitive]


@login_required
def person_list(request):
    params = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    people, problem = exporter.filtered(request.user, params)
    people = people.select_related("area").prefetch_related("tags")
    tags = list(visible_tags(request.user))
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    rows = [{"person": p, "id_number": services.masked_id(p), "phone": services.masked_phone(p),
             "tags": _shown_tags(p, request.user)} for p in page.object_list]
    query = urlencode({k: v for k, v in params.items() if v})
    return render(request, "people/list.html", {
        "page": page, "rows": rows, "params": params, "kinds": Kind.choices, "tags": tags,
        "query": query, "problem": problem})


@never_cache
@login_required
def person_export(request):
    """The list's rows (its filter, the user's jurisdiction) as CSV or XLSX, masked unless the
    user may see clear values (then a small form asks whether and why); logged."""
    return exporting.web_export(request, "people")


def _history(person, user) -> list[dict]:
    see_sensitive = services.can_view_sensitive_tags(user)
    entries = []
    for change in PersonChange.objects.filter(person=person).select_related("actor"):
        before, after = change.before or {}, change.after or {}
        fields = []
        for key, label in HISTORY_FIELDS:
            if key == "sensitive_tags" and not see_sensitive:
                continue
            old, new = before.get(key), after.get(key)
            if change.before is not None and old == new:
                continue
            if change.before is None and not new:
                continue
            if key == "kind":
                old, new = (Kind(v).label if v in Kind.values else v for v in (old, new))
            if isinstance(new, list) or isinstance(old, list):
                old, new = "、".join(old or []), "、".join(new or [])
            fields.append({"label": label, "before": old, "after": new})
        if fields:
            entries.append({"change": change, "fields": fields})
    return entries


def _detail(request, person, revealed=None, reveal_error="", status=200):
    return render(request, "people/detail.html", {
        "person": person,
        "id_number": services.masked_id(person),
        "phone": services.masked_phone(person),
        "tags": _shown_tags(person, request.user),
        "history": _history(person, request.user),
        "can_reveal": services.can_view_full_id(request.user),
        "revealed": revealed,
        "reveal_error": reveal_error,
    }, status=status)


@never_cache
@login_required
def person_detail(request, pk: int):
    return _detail(request, get_scoped_or_404(Person, request.user, pk=pk))


@never_cache
@login_required
@require_POST
def person_reveal(request, pk: int):
    person = get_scoped_or_404(Person, request.user, pk=pk)
    if not services.can_view_full_id(request.user):
        raise PermissionDenied
    try:
        revealed = services.reveal(request.user, person, request.POST.get("reason", ""))
    except ValidationError:
        return _detail(request, person, reveal_error=_("Say why you need the full ID number."),
                       status=400)
    return _detail(request, person, revealed=revealed)
