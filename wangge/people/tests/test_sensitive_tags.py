"""Sensitive tags at rest (wangge/people/models.py): the storage used by every reader, a tag
whose flag changes, the data migration of links and history written before, and key rotation
of every encrypted value."""

from __future__ import annotations

import base64
import io
import json
import os

import pytest
from django.core.management import call_command
from django.db import connection

from wangge.core import crypto
from wangge.people import services
from wangge.people.models import Person, PersonChange, SensitiveTagLink, Tag, TagGroup
from wangge.people.tests.conftest import GRID_XIMEI, make_id


@pytest.fixture
def person(territory, tags):
    return services.register_person(None, name="林秀英", id_number=make_id("19500101", "111"),
                                    area=territory[GRID_XIMEI],
                                    tags=[tags["elderly"], tags["drugs"]])


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def test_the_sensitive_tag_is_not_linked_in_clear_but_found_and_counted(person, tags):
    assert [t.name for t in services.tags_of(person)] == ["独居老人", "社区戒毒"]
    assert list(person.tags.all()) == [tags["elderly"]]  # the plain table: the care tag only
    [(stored,)] = raw("SELECT sensitive_tags_enc FROM people_person WHERE id = %s", [person.pk])
    assert stored.startswith("v1:")
    assert crypto.decrypt(stored, associated="person-sensitive-tags") == f"[{tags['drugs'].pk}]"
    [(token,)] = raw("SELECT token FROM people_sensitivetaglink WHERE person_id = %s",
                     [person.pk])
    assert token == services.tag_token(tags["drugs"])
    people = Person.objects.all()
    assert list(services.with_tag(people, tags["drugs"])) == [person]
    assert list(services.with_tag(people, tags["elderly"])) == [person]
    assert services.count_by_tag(people) == {tags["elderly"].pk: 1, tags["drugs"].pk: 1}
    # the history names it for those who may see it, and stores it encrypted
    change = PersonChange.objects.get(person=person)
    assert change.after["sensitive_tags"] == ["社区戒毒"] and change.after["tags"] == ["独居老人"]
    [(after, sealed)] = raw("SELECT after, sensitive_enc FROM people_personchange")
    assert "社区戒毒" not in after and "sensitive_tags" not in after
    assert json.loads(crypto.decrypt(sealed, associated="person-change-sensitive-tags")) == {
        "after": ["社区戒毒"]}
    # taking it away removes the link and the ciphertext
    services.update_person(None, person, tags=[tags["elderly"]])
    assert not SensitiveTagLink.objects.exists()
    assert raw("SELECT sensitive_tags_enc FROM people_person") == [("",)]
    last = PersonChange.objects.filter(person=person).first()
    assert (last.before["sensitive_tags"], last.after["sensitive_tags"]) == (["社区戒毒"], [])


def test_a_tag_that_becomes_sensitive_moves_its_links_and_back(person, tags, territory):
    other = services.register_person(None, name="王五", id_number=make_id("19600101", "222"),
                                     area=territory[GRID_XIMEI], tags=[tags["elderly"]])
    elderly = Tag.objects.get(pk=tags["elderly"].pk)
    elderly.sensitive = True
    elderly.save()
    assert not Person.tags.through.objects.filter(tag=elderly).exists()
    assert SensitiveTagLink.objects.filter(token=services.tag_token(elderly)).count() == 2
    assert {t.name for t in services.tags_of(Person.objects.get(pk=other.pk))} == {"独居老人"}
    assert set(services.with_tag(Person.objects.all(), elderly)) == {person, other}
    elderly.sensitive = False
    elderly.save()
    assert Person.tags.through.objects.filter(tag=elderly).count() == 2
    assert not SensitiveTagLink.objects.filter(token=services.tag_token(elderly)).exists()
    assert [t.name for t in services.tags_of(Person.objects.get(pk=person.pk))] == [
        "独居老人", "社区戒毒"]
    # a special group is always sensitive
    special = Tag.objects.create(name="严重精神障碍", group=TagGroup.SPECIAL, sensitive=False)
    assert special.sensitive


def test_the_data_migration_moves_links_and_history_written_before(territory, tags):
    """Data as the code before this change wrote it: the special link in the plain table and
    the history naming it in clear; the migration's function moves both."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "wangge.people.migrations.0004_sensitive_tags_encrypted")
    person = services.register_person(None, name="林一", id_number=make_id("19700101", "333"),
                                      area=territory[GRID_XIMEI], tags=[tags["elderly"]])
    person.tags.add(tags["drugs"])  # the old storage
    old = {"name": "林一", "tags": ["独居老人"], "sensitive_tags": ["社区戒毒"]}
    PersonChange.objects.filter(person=person).update(after=old)
    plain = PersonChange.objects.create(person=person, action="updated",
                                        before={"name": "林一", "sensitive_tags": []},
                                        after={"name": "林二", "sensitive_tags": []})
    PersonChange.objects.filter(pk=plain.pk).update(
        before={"name": "林一", "sensitive_tags": []}, after={"name": "林二", "sensitive_tags": []})
    migration.encrypt_links(apps, None)
    assert list(person.tags.all()) == [tags["elderly"]]
    assert [t.name for t in services.tags_of(Person.objects.get(pk=person.pk))] == [
        "独居老人", "社区戒毒"]
    assert list(services.with_tag(Person.objects.all(), tags["drugs"])) == [person]
    rows = dict(raw("SELECT id, after FROM people_personchange"))
    assert all("社区戒毒" not in text for text in rows.values())
    first = PersonChange.objects.order_by("pk").first()
    assert first.after == old  # read back as it was
    assert PersonChange.objects.get(pk=plain.pk).after == {"name": "林二", "sensitive_tags": []}
    # and back
    migration.decrypt_links(apps, None)
    assert set(Person.tags.through.objects.filter(person=person).values_list(
        "tag_id", flat=True)) == {tags["elderly"].pk, tags["drugs"].pk}


def test_the_phone_migrations_encrypt_what_is_there(territory):
    from wangge.cases import services as cases
    from wangge.cases.models import Case
    from wangge.core.encrypted import decrypt_column, encrypt_column
    from wangge.organisations import services as orgs
    from wangge.organisations.models import Organisation

    case = cases.report(actor=None, category="0101", description="x", source="resident",
                        lon=118.05, lat=24.85, reporter_phone="13800001111")
    org = orgs.save_organisation(None, kind="small_shop", name="小店", lon=118.05, lat=24.85,
                                 contact_phone="0595-86001122")
    # as the old code stored them: in clear
    raw("UPDATE cases_case SET reporter_phone = %s WHERE id = %s", ["13800001111", case.pk])
    raw("UPDATE organisations_organisation SET contact_phone = %s", ["0595-86001122"])
    assert encrypt_column(Case, "reporter_phone", "case-reporter-phone") == 1
    assert encrypt_column(Organisation, "contact_phone", "organisation-contact-phone") == 1
    assert encrypt_column(Case, "reporter_phone", "case-reporter-phone") == 0  # idempotent
    assert raw("SELECT reporter_phone FROM cases_case")[0][0].startswith("v1:")
    assert Case.objects.get(pk=case.pk).reporter_phone == "13800001111"
    assert Organisation.objects.get(pk=org.pk).contact_phone == "0595-86001122"
    assert decrypt_column(Organisation, "contact_phone", "organisation-contact-phone") == 1
    assert raw("SELECT contact_phone FROM organisations_organisation") == [("0595-86001122",)]


def test_rotation_moves_every_encrypted_value_to_the_new_key(person, settings, territory):
    from wangge.cases import services as cases
    from wangge.cases.models import Case
    from wangge.organisations import services as orgs
    from wangge.organisations.models import Organisation

    case = cases.report(actor=None, category="0101", description="x", source="resident",
                        lon=118.05, lat=24.85, reporter_phone="13800001111")
    org = orgs.save_organisation(None, kind="small_shop", name="小店", lon=118.05, lat=24.85,
                                 contact_phone="13900002222")
    old = settings.WANGGE_DATA_KEYS
    settings.WANGGE_DATA_KEYS = f"k9:{base64.b64encode(os.urandom(32)).decode()},{old}"
    out = io.StringIO()
    call_command("rotate_data_keys", stdout=out)
    for table, column in (("cases_case", "reporter_phone"),
                          ("organisations_organisation", "contact_phone"),
                          ("people_person", "sensitive_tags_enc"),
                          ("people_personchange", "sensitive_enc")):
        values = [v for (v,) in raw(f"SELECT {column} FROM {table}") if v]
        assert values and all(crypto.key_id_of(v) == "k9" for v in values), (table, values)
    settings.WANGGE_DATA_KEYS = settings.WANGGE_DATA_KEYS.split(",")[0]  # the old key gone
    assert Case.objects.get(pk=case.pk).reporter_phone == "13800001111"
    assert Organisation.objects.get(pk=org.pk).contact_phone == "13900002222"
    assert [t.name for t in services.tags_of(Person.objects.get(pk=person.pk))] == [
        "独居老人", "社区戒毒"]
    assert PersonChange.objects.get(person=person).after["sensitive_tags"] == ["社区戒毒"]
