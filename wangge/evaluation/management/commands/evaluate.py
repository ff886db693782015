"""Compute (and optionally publish) every active scheme's evaluation for a period."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wangge.evaluation import services
from wangge.evaluation.models import PeriodKind, Scheme


class Command(BaseCommand):
    help = "Compute every active evaluation scheme for the period containing --day."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=PeriodKind.values, default=PeriodKind.MONTH)
        parser.add_argument("--day", help="a day in the period (default: last month)")
        parser.add_argument("--publish", action="store_true", help="publish (freeze) too")

    def handle(self, *args, period, day=None, publish=False, **options):
        if day:
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                raise CommandError("--day is YYYY-MM-DD") from None
        else:
            day = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        for scheme in Scheme.objects.filter(is_active=True).select_related("area"):
            try:
                evaluation = services.compute(actor=None, scheme=scheme, period_kind=period,
                                              day=day)
            except services.EvaluationError as error:
                self.stdout.write(f"{scheme}: {error.message}")
                continue
            if publish:
                evaluation.state = evaluation.State.PUBLISHED
                evaluation.published_at = timezone.now()
                evaluation.save(update_fields=["state", "published_at"])
            self.stdout.write(f"{evaluation}: {evaluation.results.count()} results")
