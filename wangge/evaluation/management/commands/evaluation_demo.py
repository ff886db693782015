"""Demo evaluation data for the demo county: one scheme per target kind, populations for the
communities, last month computed and published, this month computed as a draft."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from wangge.evaluation import services
from wangge.evaluation.models import AreaProfile, Scheme, TargetKind
from wangge.territory.models import Area


class Command(BaseCommand):
    help = "Evaluation schemes and two computed months for the demo county."

    def handle(self, *args, **options):
        from wangge.accounts.models import User

        county = Area.objects.filter(level=1).order_by("code").first()
        admin = User.objects.filter(is_superuser=True).order_by("id").first()
        for area in Area.objects.filter(level=3, prefix__startswith=county.prefix):
            AreaProfile.objects.get_or_create(
                area=area, defaults={"population": 2000 + int(area.code[-3:]) * 137 % 6000})
        today = timezone.localdate()
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        for kind in TargetKind:
            scheme = Scheme.objects.filter(target_kind=kind, area=county).first() or \
                services.default_scheme(kind=kind, area=county)
            scheme.default_min_volume = 1
            scheme.save(update_fields=["default_min_volume"])
            before = services.compute(actor=admin, scheme=scheme, period_kind="month",
                                      day=last_month) if not scheme.evaluations.filter(
                start=last_month.replace(day=1), state="published").exists() else None
            if before is not None:
                services.publish(actor=admin, evaluation=before)
            services.compute(actor=admin, scheme=scheme, period_kind="month", day=today)
            self.stdout.write(f"{scheme}: done")
