"""Owner / teammate / outsider access to every route (issue #11): the table is
``wangge/core/tests/routes.py``.

- ``test_every_route_has_a_row``: every URL pattern (and every method of every API operation,
  and every model in the admin) has a row; a row whose pattern is gone fails too.
- ``test_pages``: every page row through Django's test client.
- ``test_api_over_http``: every API row over real HTTP (a live server, bearer tokens).
- ``test_admin``: every admin URL wants a staff login; every registered model's changelist and
  change page keep 溪美's objects from the staff of 柳城.

Each of the last three makes all its requests and reports every wrong answer at once. A row
marked ``leak`` asserts the correct behaviour the product lacks today; its failures are named
as known leaks.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
import requests
from django.test import Client
from django.urls import reverse

from wangge.core.tests import routes
from wangge.core.tests.routes import (
    ADMIN_LEAKS,
    ADMIN_MODELS,
    API,
    GLOBAL,
    PAGES,
    ROLES,
    ROWS,
    matches,
)

# --- coverage ---------------------------------------------------------------------------------


def test_every_route_has_a_row():
    from django.contrib import admin

    patterns = list(routes.url_patterns())
    covered = {row.route for row in ROWS}
    known = {key for key, _namespace, _route, _pattern in patterns}
    missing = sorted(f"{key}  ({route})" for key, namespace, route, _pattern in patterns
                     if namespace != "admin" and key not in covered)
    assert not missing, ("routes without a row in wangge/core/tests/routes.py (add one saying "
                         "who may read and write them):\n  " + "\n  ".join(missing))
    stale = sorted(covered - known)
    assert not stale, f"rows for routes that no longer exist: {stale}"
    rows_by_method = {}
    for row in API:
        rows_by_method.setdefault(row.route, set()).add(row.method)
    unmatched = sorted(f"{method} {name}" for name, methods in routes.api_operations().items()
                       for method in methods - rows_by_method.get(name, set()))
    assert not unmatched, f"API operations without a row for their method: {unmatched}"
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert registered - set(ADMIN_MODELS) == set(), (
        "models in the admin without an entry in routes.ADMIN_MODELS (GLOBAL, or how to get "
        f"溪美's object): {sorted(registered - set(ADMIN_MODELS))}")
    assert set(ADMIN_MODELS) - registered == set(), sorted(set(ADMIN_MODELS) - registered)


# --- running the rows -------------------------------------------------------------------------


@pytest.fixture
def world(people, territory, make_user):
    return routes.build_world(people, territory, make_user)


def body_text(raw: bytes, content_type: str) -> str:
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:  # JSON escapes Chinese by default: compare the text as written
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def run_row(row, w, send) -> list[str]:
    """Make the row's requests in ROLES order; the problems found."""
    from types import SimpleNamespace

    if row.prepare is not None:
        w = SimpleNamespace(**{**vars(w), **row.prepare(w)})
    problems = []
    before = row.state(w) if row.state else None
    bodies = {}
    for role in ROLES:
        if role in row.skip:
            bodies[role] = (None, "")
            continue
        expected = row.expected(role)
        status, location, body = send(row, w, role)
        bodies[role] = (status, body)
        if not matches(expected, status, location):
            problems.append(f"{role} ({row.who(role) or '-'}): {status}"
                            f"{' → ' + location if location else ''}, expected {expected}"
                            f"  {body[:160]!r}")
        if row.state is None:
            continue
        after = row.state(w)
        if role in row.may_change:
            if (role == "owner" and row.changes and after == before
                    and matches(expected, status, location)):
                problems.append(f"owner ({row.who(role)}): {status} but nothing changed")
        elif after != before:
            problems.append(f"{role} ({row.who(role) or '-'}): {status} and it changed "
                            f"the object")
        before = after
    if row.marker is not None:
        marker = row.marker(w)
        for role in row.shown:
            status, body = bodies[role]
            if status == 200 and marker not in body:
                problems.append(f"{role}: {marker!r} missing from its own view")
        for role in row.hidden:
            status, body = bodies[role]
            if marker in body:
                problems.append(f"{role} ({row.who(role) or '-'}) sees {marker!r}")
    if row.check is not None:
        for role in ROLES:
            status, body = bodies[role]
            problem = status and row.check(role, w, status, body)
            if problem:
                problems.append(f"{role}: {problem}")
    return problems


def run_rows(rows, w, send) -> None:
    wrong, leaks = [], []
    for row in rows:
        try:
            problems = run_row(row, w, send)
        except Exception as exc:  # a row that cannot even be run is a problem to report
            problems = [f"{type(exc).__name__}: {exc}"]
        if problems:
            text = f"{row.label}:\n      " + "\n      ".join(problems)
            (leaks if row.leak else wrong).append(
                text + (f"\n      KNOWN LEAK: {row.leak}" if row.leak else ""))
    report = []
    if wrong:
        report.append(f"{len(wrong)} rows answered wrongly:\n  " + "\n  ".join(wrong))
    if leaks:
        report.append(f"{len(leaks)} known leaks (rows with leak=…):\n  " + "\n  ".join(leaks))
    assert not report, "\n".join(report)


# --- pages: Django's test client --------------------------------------------------------------


@pytest.mark.django_db
def test_pages(world):
    users = world.u
    clients = {}

    def client_for(row, role):
        who = row.who(role)
        if row.fresh_session:
            client = Client()
            if who:
                client.force_login(users[who])
            return client
        if who not in clients:
            clients[who] = Client()
            if who:
                clients[who].force_login(users[who])
        return clients[who]

    def send(row, w, role):
        client = client_for(row, role)
        url = row.url(w)
        if row.query:
            url += "?" + urlencode(row.query(w))
        data = row.data(w) if row.data else {}
        if row.method == "GET":
            response = client.get(url)
        elif isinstance(data, str):
            response = client.generic(row.method, url, data, content_type="application/json")
        else:
            response = client.generic(row.method, url, urlencode(data, doseq=True),
                                      content_type="application/x-www-form-urlencoded")
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        return (response.status_code, response.get("Location", ""),
                body_text(raw, response.get("Content-Type", "")))

    run_rows(PAGES, world, send)


# --- the API: real HTTP -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_api_over_http(live_server, world):
    from wangge.accounts.services import issue_token

    sessions = {}

    def session_for(who):
        if who not in sessions:
            session = requests.Session()
            if who:
                _token, key = issue_token(actor=None, user=world.u[who], name="route test")
                session.headers["Authorization"] = f"Bearer {key}"
            sessions[who] = session
        return sessions[who]

    def send(row, w, role):
        session = session_for(row.who(role))
        url = live_server.url + row.url(w)
        kwargs = {"params": row.query(w) if row.query else None, "timeout": 30,
                  "allow_redirects": False}
        if row.files:
            kwargs.update(data=row.data(w) if row.data else None, files=row.files(w))
        elif row.data and row.form:
            kwargs["data"] = row.data(w)
        elif row.data:
            kwargs["json"] = row.data(w)
        response = session.request(row.method, url, **kwargs)
        return (response.status_code, response.headers.get("Location", ""),
                body_text(response.content, response.headers.get("Content-Type", "")))

    run_rows(API, world, send)


# --- the admin ----------------------------------------------------------------------------------


def admin_urls():
    """A URL for every pattern of the admin (ids that need not exist)."""
    from django.contrib import admin

    app_label = next(iter(admin.site._registry))._meta.app_label
    for key, namespace, route, pattern in routes.url_patterns():
        if namespace != "admin":
            continue
        if pattern.name is None:  # the catch-all, and a model's old-style object URL
            yield key, ("/admin/no-such-page/" if "(?P" in route
                        else "/" + re.sub(r"<[^>]+>", "1", route))
            continue
        kwargs = {name: (app_label if name == "app_label" else "1")
                  for name in pattern.pattern.regex.groupindex}
        yield key, reverse(key, kwargs=kwargs)


@pytest.mark.django_db
def test_admin(world, make_user):
    routes.admin_world(world, make_user)
    problems, leaks = [], []
    anonymous = Client()
    for key, url in admin_urls():
        response = anonymous.get(url)
        # away to a login page (the admin's, or the site's own pages that stand in for the
        # admin's login, logout and password change); never an admin page
        location = response.get("Location", "")
        ok = response.status_code == 405 or (response.status_code == 302 and (
            location.startswith("/admin/login/") or not location.startswith("/admin/")))
        if not ok:
            problems.append(f"anonymous GET {url} ({key}): {response.status_code}")
    staff = {}
    for name in ("comm", "xadmin", "ladmin"):
        staff[name] = Client()
        staff[name].force_login(world.u[name])
    response = staff["comm"].get(reverse("admin:index"))
    if not (response.status_code == 302 and "/admin/login/" in response["Location"]):
        problems.append(f"non-staff comm opens the admin: {response.status_code}")

    from django.contrib import admin

    objects = {label: entry(world) for label, entry in ADMIN_MODELS.items()
               if entry != GLOBAL}
    for model in admin.site._registry:
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        pages = {name: staff[name].get(changelist) for name in ("xadmin", "ladmin")}
        for name, response in pages.items():
            if response.status_code not in (200, 403):
                problems.append(f"{name} GET {changelist}: {response.status_code}")
        if label not in objects:
            continue
        obj = objects[label]
        change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                         args=[obj.pk])
        mine, theirs = (pages[n].content.decode() if pages[n].status_code == 200 else ""
                        for n in ("xadmin", "ladmin"))
        wrong = []
        if change not in mine:
            wrong.append(f"xadmin (溪美) does not find {obj!r} in the changelist")
        if change in theirs:
            wrong.append(f"ladmin (柳城) finds 溪美's {obj!r} in the changelist")
        opened = staff["ladmin"].get(change)
        if opened.status_code == 200:
            wrong.append(f"ladmin (柳城) opens {change}")
        if wrong:
            leak = ADMIN_LEAKS.get(label)
            (leaks if leak else problems).append(
                f"{label}: " + "; ".join(wrong) + (f"\n      KNOWN LEAK: {leak}" if leak else ""))
    report = []
    if problems:
        report.append(f"{len(problems)} wrong answers:\n  " + "\n  ".join(problems))
    if leaks:
        report.append(f"{len(leaks)} known leaks (routes.ADMIN_LEAKS):\n  "
                      + "\n  ".join(leaks))
    assert not report, "\n".join(report)
