from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from wangge.core import exporting
from wangge.core.progress import Progress


class Command(BaseCommand):
    help = ("Export base data as CSV or XLSX: KIND is people, addresses, buildings, houses, "
            "components or organisations, written with exactly the columns `wangge import KIND` "
            "reads, so that a re-import of the file changes nothing. Without --user the system "
            "exports everything in clear; with --user the rows of that user's jurisdiction, ID "
            "numbers and phones masked unless the user has people.view_full_id. Every export "
            "of people (and houses, which name owners by ID number) is recorded in the export "
            "log.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(exporting.REGISTRY))
        parser.add_argument("-o", "--output", metavar="FILE",
                            help="FILE.csv or FILE.xlsx (default: CSV to standard output)")
        parser.add_argument("--user", metavar="USERNAME",
                            help="export as this user: their jurisdiction, their permissions")
        parser.add_argument("--area", metavar="CODE",
                            help="only the rows in this area (a division or grid code) and "
                                 "below")
        parser.add_argument("--masked", action="store_true",
                            help="mask ID numbers and phones even when they could be clear")
        parser.add_argument("--reason", default="",
                            help="why (recorded in the export log with the export of people)")

    def handle(self, *args, kind, output, user, area, masked, reason, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user {user!r}")
        file_format = "csv"
        if output:
            suffix = Path(output).suffix.lower().lstrip(".")
            if suffix not in exporting.FORMATS:
                raise CommandError(f"{output}: give a .csv or .xlsx file")
            file_format = suffix
        spec = exporting.kind(kind)
        params = {spec.area_key: area} if area else {}
        try:
            export = exporting.prepare(kind, actor, params, clear=False if masked else None,
                                       reason=reason or "command line", channel="cli",
                                       file_format=file_format)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if export.problem:
            raise CommandError(f"--area {area}: {export.problem}")
        # progress goes to stderr when the table itself goes to stdout
        progress = Progress(self.stderr if not output else self.stdout, export.count)
        if output:
            if file_format == "xlsx":
                done = export.write(output, "xlsx", progress=progress)
            else:
                with open(output, "w", encoding="utf-8", newline="") as stream:
                    done = export.write(stream, "csv", progress=progress)
        else:
            try:
                done = export.write(self.stdout, "csv", progress=progress)
            except BrokenPipeError:  # `wangge export people | head`
                return
        progress.finish(done)
        # the summary goes where the progress went: stderr when the table is on stdout
        report = self.stdout if output else self.stderr
        where = output or "standard output"
        report.write(self.style.SUCCESS(f"{done:,} {kind} written to {where}"), style_func=_plain)
        if export.note:
            report.write(self.style.WARNING(export.note), style_func=_plain)


def _plain(text: str) -> str:
    return text
