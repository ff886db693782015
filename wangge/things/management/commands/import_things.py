from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wangge.core.tabular import TableImportError, error_report
from wangge.things.importer import import_components, read_component_rows

KINDS = {"components": (read_component_rows, import_components)}


class Command(BaseCommand):
    help = ("Import things from CSV or XLSX: `components` (城市部件) with columns code, name, "
            "status, lon, lat, owner_unit, maintainer_unit, address, note. Matched by code: a "
            "re-import updates. All or nothing unless --skip-bad-rows; every bad row is "
            "reported with its column.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--skip-bad-rows", action="store_true",
                            help="import the good rows and report the bad ones")
        parser.add_argument("--errors-out", metavar="FILE",
                            help="write the problems as CSV (row, column, reason) to FILE")
        parser.add_argument("--user", metavar="USERNAME",
                            help="import as this user, within their jurisdiction")

    def handle(self, *args, kind, file, skip_bad_rows, errors_out, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user {user!r}")
        reader, importer = KINDS[kind]

        def progress(done, total):
            self.stdout.write(f"{done:,} / {total:,} rows")

        try:
            result = importer(reader(path.read_bytes(), path.name), actor=actor,
                              skip_bad_rows=skip_bad_rows, source=str(path), progress=progress)
        except TableImportError as exc:
            if errors_out:
                Path(errors_out).write_text(error_report(exc.problems), encoding="utf-8")
                self.stderr.write(f"problems written to {errors_out}")
            raise CommandError(str(exc)) from None
        problems = result["problems"]
        if errors_out:
            Path(errors_out).write_text(error_report(problems), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(
            f"{path}: {result['created']} new, {result['updated']} updated, "
            f"{result['skipped']} bad rows skipped"))
        if problems and not errors_out:
            for p in problems[:50]:
                self.stderr.write(f"  - {p}")
