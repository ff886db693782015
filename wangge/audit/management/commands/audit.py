"""``wangge audit list|verify|archive``: read, check and archive the security audit trail."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from wangge.audit import services
from wangge.audit.choices import Event
from wangge.audit.models import AuditEvent

_SPAN = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str):
    """``10m``, ``2h``, ``7d`` (ago) or an ISO date-time."""
    match = _SPAN.match(value.strip())
    if match:
        return timezone.now() - timedelta(**{_UNITS[match[2]]: int(match[1])})
    moment = parse_datetime(value.strip())
    if moment is None:
        raise CommandError(f"--since {value!r}: give a span such as 10m, 2h, 7d or an ISO "
                           "date-time such as 2026-12-01T08:00")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "The security audit trail: list events, verify the hash chain, archive old rows."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="events, newest last")
        listing.add_argument("--since", default="24h", help="10m, 2h, 7d or an ISO date-time")
        listing.add_argument("--event", action="append", choices=Event.values,
                             help="only these events (repeatable)")
        listing.add_argument("--user", help="only this username")
        listing.add_argument("--limit", type=int, default=0, help="at most this many (newest)")
        listing.add_argument("--json", action="store_true", help="JSON lines")
        sub.add_parser("verify", help="check the hash chain; exit 1 naming the first bad row")
        archiving = sub.add_parser(
            "archive", help="move rows older than AUDIT_RETENTION_DAYS to a signed file")
        archiving.add_argument("--dir", default=str(settings.AUDIT_ARCHIVE_DIR))

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_list(self, *, since, event, user, limit, json: bool = False, **_):
        rows = AuditEvent.objects.filter(at__gte=parse_since(since))
        if event:
            rows = rows.filter(event__in=event)
        if user:
            rows = rows.filter(actor_username=user)
        rows = rows.order_by("-pk")
        if limit:
            rows = rows[:limit]
        for row in reversed(list(rows)):
            if json:
                self.stdout.write(_dumps(services.as_json(row)))
            else:
                at = timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S")
                what = row.object_repr or row.object_id
                self.stdout.write(f"{row.pk:>8} {at} {row.event:<22} {row.outcome:<6} "
                                  f"{row.actor_username or '-':<16} {row.client_ip or '-':<15} "
                                  f"{what}")

    def do_verify(self, **_):
        try:
            checked = services.verify()
        except services.Broken as broken:
            raise CommandError(f"the audit chain is broken at row #{broken.row_id}: "
                               f"{broken.why}") from None
        self.stdout.write(f"audit chain whole: {checked} rows checked")

    def do_archive(self, *, dir, **_):
        made = services.archive(Path(dir))
        if made is None:
            self.stdout.write(f"nothing older than {services.retention_days()} days")
        else:
            self.stdout.write(f"archived {made.rows} rows (#{made.first_id}–#{made.last_id}) "
                              f"to {made.path}")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
