from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.analytics import selectors
from wangge.analytics.report import monthly_report
from wangge.analytics.views import parse_month
from wangge.territory.models import Area


class Command(BaseCommand):
    help = ("Write the monthly statistics report of an area (default: the territory's root) "
            "as a PDF with charts: wangge monthly-report --month 2026-10 [--area CODE] "
            "-o report.pdf")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--area", default="", help="area code (default: the root)")
        parser.add_argument("-o", "--output", required=True, help="the PDF file to write")

    def handle(self, *args, month, area, output, **options):
        parsed = parse_month(month)
        if parsed is None:
            raise CommandError("--month must look like 2026-10")
        if area:
            target = Area.objects.filter(code=area).first()
            if target is None:
                raise CommandError(f"no area with code {area}")
        else:
            target = Area.objects.filter(parent__isnull=True).order_by("code").first()
            if target is None:
                raise CommandError("the territory is empty")
        pdf = monthly_report(selectors.Scope.everything(), target, *parsed)
        Path(output).write_bytes(pdf)
        self.stdout.write(f"{output}: {len(pdf):,} bytes, {target.name} {month}")
