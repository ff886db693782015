from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from wangge.workcalendar import services


class Command(BaseCommand):
    help = ("Load holidays and make-up workdays from a CSV file (date,is_workday,name,kind); "
            "defaults to the schedule shipped with Wangge.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(services.HOLIDAYS_CSV))

    def handle(self, *args, path, **options):
        try:
            counts = services.load_holidays(path)
        except (OSError, ValidationError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"created {counts['created']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}")
