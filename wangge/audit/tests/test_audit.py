"""The audit trail: append-only, chained, verified; tampering is found and named; the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from wangge.audit import services
from wangge.audit.choices import Event, Outcome
from wangge.audit.models import AppendOnlyError, Archive, AuditEvent

pytestmark = pytest.mark.django_db


def _some(n=5, actor=None):
    return [services.record(Event.LOGIN, actor=actor, username=f"u{i}", seq=i) for i in range(n)]


def test_rows_chain_to_their_predecessor_and_verify():
    rows = _some(4)
    assert rows[0].prev_hash == services.GENESIS
    for before, after in pairwise(rows):
        assert after.prev_hash == before.row_hash
    assert services.verify() == 4


def test_rows_cannot_be_changed_or_deleted_through_the_orm():
    row = _some(1)[0]
    row.outcome = Outcome.FAILED
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=row.pk).update(outcome="failed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=row.pk).outcome == Outcome.OK


def test_unknown_event_names_are_refused():
    with pytest.raises(ValueError, match="unknown audit event"):
        services.record("coffee_break")


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_changed_row_breaks_the_chain_at_that_row():
    rows = _some(5)
    table = AuditEvent._meta.db_table
    _raw(f"UPDATE {table} SET actor_username = %s WHERE id = %s", ["mallory", rows[2].pk])
    with pytest.raises(services.Broken) as broken:
        services.verify()
    assert broken.value.row_id == rows[2].pk
    with pytest.raises(CommandError, match=f"#{rows[2].pk}"):
        call_command("audit", "verify")


def test_a_deleted_row_breaks_the_chain_at_its_successor():
    rows = _some(5)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [rows[1].pk])
    with pytest.raises(services.Broken) as broken:
        services.verify()
    assert broken.value.row_id == rows[2].pk


def test_a_removed_last_row_is_found():
    rows = _some(3)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [rows[-1].pk])
    with pytest.raises(services.Broken):
        services.verify()


def test_a_recomputed_plain_hash_does_not_pass_without_the_key():
    """An attacker who rewrites a row and recomputes an unkeyed SHA-256 is still caught."""
    import hashlib

    rows = _some(3)
    forged = hashlib.sha256(b"forged").hexdigest()
    _raw(f"UPDATE {AuditEvent._meta.db_table} SET detail = %s, row_hash = %s WHERE id = %s",
         ['{"seq": 99}', forged, rows[1].pk])
    with pytest.raises(services.Broken) as broken:
        services.verify()
    assert broken.value.row_id == rows[1].pk


def test_cli_list_json_lines_with_event_names(make_user, capsys):
    user = make_user("auditee")
    services.record(Event.REVEAL, actor=user, object_type="people.person", object_id="7",
                    reason="登记核对")
    services.record(Event.LOGIN_FAILED, username="ghost", outcome=Outcome.FAILED)
    call_command("audit", "list", "--since", "10m", "--json")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["reveal", "login_failed"]
    assert lines[0]["user"] == "auditee" and lines[0]["detail"] == {"reason": "登记核对"}
    assert lines[1]["outcome"] == "failed" and lines[1]["user"] == "ghost"
    call_command("audit", "list", "--since", "10m", "--event", "reveal", "--json")
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_cli_since_is_checked():
    with pytest.raises(CommandError, match="--since"):
        call_command("audit", "list", "--since", "yesterday-ish")


def test_cli_verify_says_whole(capsys):
    _some(2)
    call_command("audit", "verify")
    assert "2 rows" in capsys.readouterr().out


def test_retention_below_180_days_is_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.AUDIT_RETENTION_DAYS = 90
    with pytest.raises(ImproperlyConfigured, match="180"):
        services.retention_days()


def test_archive_moves_old_rows_to_a_signed_file_and_the_chain_goes_on(tmp_path, settings):
    settings.AUDIT_RETENTION_DAYS = 180
    rows = _some(4)
    later = timezone.now() + timedelta(days=200)
    made = services.archive(tmp_path, now=later)
    assert made is not None and made.rows == 4
    assert not AuditEvent.objects.filter(pk__in=[r.pk for r in rows]).exists()
    from pathlib import Path

    path = Path(made.path)
    assert services.verify_archive_file(path)
    assert len(path.read_text(encoding="utf-8").splitlines()) == 4
    # the archive row itself is the next link; new rows chain on and all verifies
    _some(2)
    assert services.verify() == 3  # 'archived' + 2 new
    assert Archive.objects.count() == 1
    path.write_text(path.read_text(encoding="utf-8").replace("u1", "u9"), encoding="utf-8")
    assert not services.verify_archive_file(path)


def test_recent_rows_are_never_archived(tmp_path):
    _some(2)
    assert services.archive(tmp_path) is None
    assert AuditEvent.objects.count() == 2


def test_admin_shows_the_trail_to_auditors_only_and_never_changes_it(make_user, client):
    from wangge.accounts.choices import Role

    row = _some(1)[0]
    auditor = make_user("shenji", role=Role.AUDITOR, is_staff=True)
    admin = make_user("root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    url = f"/admin/audit/auditevent/{row.pk}/change/"
    client.force_login(admin)
    assert client.get("/admin/audit/auditevent/").status_code == 403
    client.force_login(auditor)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get(url).status_code == 200
    assert client.post(url, {"outcome": "failed"}).status_code == 403
    assert client.post(f"/admin/audit/auditevent/{row.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=row.pk, outcome="ok").exists()


def test_deleting_the_oldest_rows_behind_a_forged_archive_record_is_found():
    """Someone who can write to the database deletes the first rows and inserts an archive
    record that pretends they were archived: without the key its seal can't be made."""
    rows = _some(5)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id <= %s", [rows[2].pk])
    Archive.objects.create(path="/nowhere.jsonl", first_id=rows[0].pk, last_id=rows[2].pk,
                           rows=3, first_prev_hash=services.GENESIS,
                           last_hash=rows[2].row_hash, signature="x" * 64, seal="y" * 64)
    with pytest.raises(services.Broken, match="forged"):
        services.verify()


def test_cutting_the_last_rows_and_resetting_the_head_is_found():
    from wangge.audit.models import ChainHead

    rows = _some(4)
    _raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [rows[-1].pk])
    ChainHead.objects.filter(pk=1).update(last_id=rows[-2].pk, last_hash=rows[-2].row_hash)
    with pytest.raises(services.Broken, match="head"):
        services.verify()


def test_two_archives_in_a_row_keep_the_chain(tmp_path, settings):
    settings.AUDIT_RETENTION_DAYS = 180
    _some(2)
    assert services.archive(tmp_path / "a", now=timezone.now() + timedelta(days=200))
    _some(2)
    assert services.archive(tmp_path / "b", now=timezone.now() + timedelta(days=400))
    _some(1)
    assert services.verify() == 2  # the second 'archived' row + 1 new
    assert Archive.objects.count() == 2
