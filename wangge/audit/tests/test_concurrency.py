"""Writers in several threads (separate connections) still make one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from wangge.audit import services
from wangge.audit.choices import Event
from wangge.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_concurrent_writers_keep_the_chain_whole():
    errors = []

    def write(n):
        try:
            for i in range(15):
                services.record(Event.LOOKUP, username=f"t{n}", seq=i)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == 60
    assert services.verify() == 60
    assert len(set(AuditEvent.objects.values_list("prev_hash", flat=True))) == 60
