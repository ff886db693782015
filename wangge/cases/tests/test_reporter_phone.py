"""The reporter's phone is stored encrypted and shown nowhere in clear: not in the case API,
masked in the admin; the resident's lookup by its last four digits still works."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from wangge.cases import services
from wangge.cases.tests.conftest import GRID_POINT

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def test_the_reporter_phone_is_encrypted_masked_and_still_matches(client, people, make_user):
    case = services.report(actor=None, category="0101", description="路灯不亮",
                           source="resident", lon=GRID_POINT[0], lat=GRID_POINT[1],
                           reporter_name="张女士", reporter_phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone FROM cases_case WHERE id = %s", [case.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("v1:") and PHONE not in stored
    assert case.reporter_phone == PHONE  # the program reads it back

    # the staff API never gives it
    client.force_login(people["comm"])
    detail = client.get(f"/api/v1/cases/{case.number}")
    assert detail.status_code == 200 and PHONE not in detail.text and "5678" not in detail.text

    # the (read-only) admin shows it masked
    admin = make_user("root", "admin", None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200, page.status_code
    assert PHONE not in page.text and "138****5678" in page.text

    # the resident's lookup by the case number and the last 4 digits
    client.logout()
    found = client.post(reverse("portal:lookup"), {"number": case.number, "digits": "5678"})
    assert found.status_code == 302
    assert found["Location"] == reverse("portal:track", args=[case.tracking_token])
