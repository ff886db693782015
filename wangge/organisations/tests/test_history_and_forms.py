"""Organisations: the change history (services, inspections, import) and the staff
create/edit forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from wangge.core.history import StaleRecord, version_of
from wangge.organisations import services
from wangge.organisations.importer import import_organisations, read_organisation_rows
from wangge.organisations.models import Organisation, OrganisationChange
from wangge.organisations.tests.test_organisations import GOOD, XIMEI_POINT, uscc

OTHER = uscc("91350583MA2Y1K3Q0")


def _org(actor=None, **extra):
    data = {"kind": "enterprise", "name": "南安某石材有限公司", "credit_code": GOOD,
            "lon": XIMEI_POINT[0], "lat": XIMEI_POINT[1], "contact_phone": "13812345678"}
    data.update(extra)
    return services.save_organisation(actor, **data)


def test_create_update_no_op_and_inspection_write_history(users):
    org = _org(users["ximei"])
    [created] = OrganisationChange.objects.filter(organisation=org)
    assert (created.action, created.subject, created.source) == ("created", "organisation",
                                                                 "web")
    assert created.after["contact_phone"] == "138****5678"  # masked in the history
    assert created.area.code == "350583001001001"

    services.save_organisation(users["ximei"], org, risk_level="major",
                               contact_phone="13900001111", source="api")
    update = OrganisationChange.objects.filter(organisation=org).first()
    assert update.changed_fields == ["contact_phone", "risk_level"]
    assert (update.before["risk_level"], update.after["risk_level"]) == ("low", "major")
    assert "13900001111" not in str(update.after) and update.source == "api"

    services.save_organisation(users["ximei"], org, risk_level="major")
    assert OrganisationChange.objects.filter(organisation=org).count() == 2

    services.record_inspection(users["ximei"], org, result="passed", date=dt.date.today())
    inspection = OrganisationChange.objects.filter(organisation=org).first()
    assert (inspection.subject, inspection.action) == ("inspection", "created")
    assert inspection.inspection is not None and inspection.after["result"] == "passed"
    assert OrganisationChange.objects.visible_to(users["liucheng"]).count() == 0


def test_a_stale_version_is_refused_by_the_service(users):
    org = _org(users["ximei"])
    opened = version_of(org)
    services.save_organisation(users["ximei"], org, industry="石材")
    with pytest.raises(StaleRecord):
        services.save_organisation(users["ximei"], org, industry="陶瓷",
                                   expected_version=opened)
    assert Organisation.objects.get(pk=org.pk).industry == "石材"


HEADER = ("kind,name,credit_code,address,lon,lat,grid_code,industry,contact_name,contact_phone,"
          "risk_level,note")
CSV = HEADER + f"""
企业,甲公司,{GOOD},,118.05,24.85,,石材,,,较大,
小餐饮,乙小吃,,,,,350583001001002,,,,,
"""


def test_import_writes_history_with_source_import(territory):
    rows = read_organisation_rows(CSV.encode(), "orgs.csv")
    import_organisations(rows, source="orgs.csv")
    assert set(OrganisationChange.objects.values_list("action", "source")) == {
        ("created", "import orgs.csv")}
    assert OrganisationChange.objects.count() == 2
    again = import_organisations(rows, source="orgs.csv")
    assert again["unchanged"] == 2 and OrganisationChange.objects.count() == 2
    changed = CSV.replace("石材,,,较大", "石材,,,重大")
    import_organisations(read_organisation_rows(changed.encode(), "o.csv"), source="o.csv")
    update = OrganisationChange.objects.get(action="updated")
    assert update.changed_fields == ["risk_level"] and update.organisation.name == "甲公司"


def test_the_detail_page_shows_the_history(users, client):
    org = _org(users["ximei"])
    services.save_organisation(users["ximei"], org, risk_level="major")
    client.force_login(users["ximei"])
    html = client.get(reverse("organisations:detail", args=[org.pk])).content.decode()
    assert 'id="history-title"' in html
    history = client.get(reverse("organisations:detail", args=[org.pk])).context["history"]
    assert history[0]["fields"][0]["key"] == "risk_level"
    assert str(history[0]["fields"][0]["after"]) in html


# --- forms --------------------------------------------------------------------------------------
def _form(**extra):
    data = {"name": "溪美石材厂", "kind": "enterprise", "credit_code": OTHER,
            "risk_level": "general", "industry": "石材", "address": "溪美路2号",
            "lon": "118.05", "lat": "24.85", "grid": "", "contact_name": "林先生",
            "contact_phone": "13812345678", "note": ""}
    data.update(extra)
    return data


def test_create_form_happy_path_and_field_errors(users, client):
    client.force_login(users["ximei"])
    url = reverse("organisations:new")
    assert client.get(url).status_code == 200
    bad = OTHER[:17] + ("0" if OTHER[17] != "0" else "1")
    response = client.post(url, _form(credit_code=bad))
    assert response.status_code == 400
    assert "credit_code" in response.context["form"].errors
    assert 'value="溪美路2号"' in response.content.decode()
    response = client.post(url, _form(lon="", lat="", grid="350583002001001"))
    assert response.status_code == 400 and "grid" in response.context["form"].errors
    assert not Organisation.objects.exists()
    response = client.post(url, _form(lon="", lat="", grid="350583001001002"))
    assert response.status_code == 302
    org = Organisation.objects.get(credit_code=OTHER)
    assert org.grid.code == "350583001001002"
    assert response["Location"] == reverse("organisations:detail", args=[org.pk])
    assert org.changes.get().source == "web"


def test_edit_form_and_a_stale_refusal(users, client):
    org = _org(users["ximei"])
    client.force_login(users["ximei"])
    url = reverse("organisations:edit", args=[org.pk])
    opened = client.get(url).context["form"].initial["version"]
    services.save_organisation(users["ximei"], org, industry="别人改的")  # someone else
    response = client.post(url, _form(credit_code=GOOD, name="我的名字", version=opened))
    assert response.status_code == 409
    assert 'value="我的名字"' in response.content.decode()
    assert [f["key"] for f in response.context["stale"][0]["fields"]] == ["industry"]
    org.refresh_from_db()
    assert org.name == "南安某石材有限公司"
    again = response.context["form"]["version"].value()
    response = client.post(url, _form(credit_code=GOOD, name="我的名字", version=again))
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.industry) == ("我的名字", "石材")


def test_another_jurisdiction_is_a_404_and_a_reading_role_is_forbidden(users, client,
                                                                      make_user, territory):
    org = _org(users["ximei"])
    url = reverse("organisations:edit", args=[org.pk])
    client.force_login(users["liucheng"])
    assert client.get(url).status_code == 404
    inspector = make_user("inspector", "inspector", territory["350583000000"])
    client.force_login(inspector)
    assert client.get(reverse("organisations:new")).status_code == 403
    assert client.post(url, _form(credit_code=GOOD, name="x")).status_code == 403
    assert Organisation.objects.get(pk=org.pk).name == "南安某石材有限公司"
    html = client.get(reverse("organisations:detail", args=[org.pk])).content.decode()
    assert url not in html
    client.force_login(users["ximei"])
    assert url in client.get(reverse("organisations:detail", args=[org.pk])).content.decode()
    assert reverse("organisations:new") in client.get(
        reverse("organisations:list")).content.decode()
