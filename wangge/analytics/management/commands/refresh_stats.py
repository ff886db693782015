import json

from django.core.management.base import BaseCommand

from wangge.analytics import services


class Command(BaseCommand):
    help = ("Recount the daily statistics from the cases: the last days and every day whose "
            "cases changed since the last refresh, or with --all every day (the worker does "
            "the former every few minutes). --warnings then looks for early warnings.")

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="recount every day")
        parser.add_argument("--days", type=int, default=services.RECENT_DAYS,
                            help="how many recent days to recount (default %(default)s)")
        parser.add_argument("--warnings", action="store_true",
                            help="run the early-warning rules afterwards")

    def handle(self, *args, all, days, warnings, **options):
        if all:
            result = services.refresh_all(progress=lambda line: self.stderr.write(line))
        else:
            result = services.refresh_recent(days=days)
        if warnings:
            result["warnings"] = services.detect()
        self.stdout.write(json.dumps(result, default=str))
