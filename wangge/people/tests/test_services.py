from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from wangge.core import crypto
from wangge.people import services
from wangge.people.models import AccessLog, Person, PersonChange
from wangge.people.tests.conftest import GRID_LIUCHENG, GRID_XIMEI, make_id

NUMBER = make_id()
PHONE = "13812345678"


@pytest.fixture
def person(users, territory, tags):
    return services.register_person(
        users["ximei"], name="林小明", id_number=NUMBER, area=territory[GRID_XIMEI],
        phone=PHONE, address="溪美街道新华路8号", tags=[tags["elderly"]])


@pytest.mark.parametrize("bad, words", [
    ("12345", "18 characters"),
    (NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1"), "check character"),
    ("350583" + "19801301" + "1234", "not a real date"),
    ("", "18 characters"),
])
def test_id_number_errors_name_the_field(users, territory, bad, words):
    with pytest.raises(ValidationError) as info:
        services.register_person(users["ximei"], name="甲", id_number=bad,
                                 area=territory[GRID_XIMEI])
    assert words in " ".join(info.value.message_dict["id_number"])
    assert not Person.objects.exists()


def test_other_fields_are_named(users, territory):
    with pytest.raises(ValidationError) as info:
        services.register_person(users["ximei"], name="甲", id_number=NUMBER,
                                 area=territory[GRID_XIMEI], phone="12ab")
    assert "phone" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.register_person(users["ximei"], name="甲", id_number=NUMBER,
                                 area=territory["350583001000"])
    assert "area" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.register_person(users["ximei"], name="甲", id_number=NUMBER,
                                 area=territory[GRID_LIUCHENG])
    assert "outside your jurisdiction" in info.value.message_dict["area"][0]


def test_derived_birth_date_and_sex(person):
    assert person.birth_date.isoformat() == "1980-01-01"
    assert person.sex == "M"  # the 17th digit (3) is odd
    assert services.masked_id(person) == NUMBER[:4] + "*" * 10 + NUMBER[-4:]
    assert services.masked_phone(person) == "138****5678"


def test_duplicate_refused_with_masked_number(person, users, territory):
    with pytest.raises(ValidationError) as info:
        services.register_person(users["ximei"], name="林二", id_number=NUMBER.lower(),
                                 area=territory[GRID_XIMEI])
    message = info.value.message_dict["id_number"][0]
    assert message.startswith("already registered as 林小明")
    assert crypto_mask(NUMBER) in message and NUMBER not in message
    # someone of another street learns nothing about who it is
    with pytest.raises(ValidationError) as info:
        services.register_person(users["liucheng"], name="林二", id_number=NUMBER,
                                 area=territory[GRID_LIUCHENG])
    assert "林小明" not in info.value.message_dict["id_number"][0]
    # the legacy 15-digit form of the same number is the same person
    legacy = NUMBER[:6] + NUMBER[8:17]
    with pytest.raises(ValidationError):
        services.register_person(None, name="林三", id_number=legacy, area=territory[GRID_XIMEI])
    assert Person.objects.count() == 1


def crypto_mask(number):
    return number[:4] + "*" * 10 + number[-4:]


def test_lookup_through_the_hash(person):
    assert services.find_by_id_number(NUMBER) == person
    assert services.find_by_id_number(" " + NUMBER.lower() + " ") == person
    assert services.find_by_id_number(make_id(seq="999")) is None
    assert person.id_hash == crypto.lookup_hash(NUMBER)


def test_encrypted_at_rest(person):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person")
        rows = cursor.fetchall()
        cursor.execute("SELECT before, after FROM people_personchange")
        rows += cursor.fetchall()
    text = repr(rows)
    assert NUMBER not in text and NUMBER[6:14] + NUMBER[14:] not in text
    assert PHONE not in text
    assert person.id_number_enc.startswith("v1:")
    # the ciphertext is bound to its field: it does not decrypt as a phone
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(person.id_number_enc, associated="person-phone")


def test_update_writes_masked_history(person, users, tags, grant):
    ximei = grant(users["ximei"], "view_sensitive_tags")
    assert services.update_person(ximei, person, phone="13900001111", address="新地址",
                                  tags=[tags["elderly"], tags["drugs"]])
    assert not services.update_person(ximei, person, address="新地址")  # nothing changed
    changes = list(PersonChange.objects.filter(person=person).order_by("at", "pk"))
    assert [c.action for c in changes] == ["created", "updated"]
    assert changes[0].before is None and changes[0].actor == ximei
    last = changes[1]
    assert last.before["phone"] == "138****5678" and last.after["phone"] == "139****1111"
    assert last.before["id_number"] == crypto_mask(NUMBER)
    assert last.after["sensitive_tags"] == ["社区戒毒"] and last.after["tags"] == ["独居老人"]
    assert "13900001111" not in repr(last.after) and NUMBER not in repr(last.before)
    assert person.address == "新地址"  # the caller's object is refreshed


def test_sensitive_tags_need_the_permission(person, users, tags, grant):
    with pytest.raises(ValidationError) as info:
        services.update_person(users["ximei"], person, tags=[tags["drugs"]])
    assert "tags" in info.value.message_dict
    services.update_person(None, person, tags=[tags["elderly"], tags["drugs"]])
    # a user without the permission changing the care tags keeps the sensitive ones
    services.update_person(users["ximei"], person, tags=[])
    assert [t.name for t in services.tags_of(person)] == ["社区戒毒"]


def test_update_refused_outside_the_jurisdiction(person, users):
    with pytest.raises(PermissionDenied):
        services.update_person(users["liucheng"], person, name="改名")


def test_reveal_needs_permission_and_writes_the_log(person, users, make_user, territory, grant):
    with pytest.raises(PermissionDenied):
        services.reveal_id_number(users["ximei"], person, "核查")
    assert not AccessLog.objects.exists()
    ximei = grant(users["ximei"], "view_full_id")
    with pytest.raises(ValidationError):
        services.reveal_id_number(ximei, person, "  ")
    assert services.reveal_id_number(ximei, person, "户籍核查") == NUMBER
    log = AccessLog.objects.get()
    assert (log.actor, log.person, log.reason) == (ximei, person, "户籍核查")
    # an administrator of another street may not
    admin = make_user("admin2", "admin", territory["350583002000"])
    with pytest.raises(PermissionDenied):
        services.reveal_id_number(admin, person, "核查")
    county_admin = make_user("admin1", "admin", territory["350583000000"])
    assert services.reveal_id_number(county_admin, person, "核查") == NUMBER
    assert AccessLog.objects.count() == 2
    # the security audit trail has every attempt: refused, refused, done, refused, done
    from wangge.audit.models import AuditEvent

    trail = list(AuditEvent.objects.filter(event="reveal").order_by("pk").values_list(
        "actor_username", "object_id", "outcome"))
    assert trail == [("ximei", str(person.pk), "denied"), ("ximei", str(person.pk), "ok"),
                     ("admin2", str(person.pk), "denied"), ("admin1", str(person.pk), "ok")]
    assert AuditEvent.objects.filter(event="reveal", outcome="ok").earliest("pk").detail[
        "reason"] == "户籍核查"


def test_rotate_data_keys(person, settings):
    from django.core.management import call_command

    old = settings.WANGGE_DATA_KEYS
    settings.WANGGE_DATA_KEYS = f"k9:{base64.b64encode(os.urandom(32)).decode()},{old}"
    call_command("rotate_data_keys", stdout=io.StringIO())
    person.refresh_from_db()
    assert crypto.key_id_of(person.id_number_enc) == "k9"
    assert crypto.key_id_of(person.phone_enc) == "k9"
    settings.WANGGE_DATA_KEYS = settings.WANGGE_DATA_KEYS.split(",")[0]  # the old key gone
    assert services.id_number_of(person) == NUMBER
    assert services.phone_of(person) == PHONE
