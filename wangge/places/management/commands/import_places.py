from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wangge.places.importer import (
    KINDS,
    PlacesImportError,
    error_report,
    import_places,
    read_rows,
)


class Command(BaseCommand):
    help = ("Import places from CSV or XLSX: KIND is addresses, buildings or houses (columns in "
            "wangge/places/importer.py). A re-import updates and never duplicates. All or "
            "nothing unless --skip-bad-rows; every bad row is reported with its column.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--skip-bad-rows", action="store_true",
                            help="import the good rows and report the bad ones")
        parser.add_argument("--errors-out", metavar="FILE",
                            help="write the problems as CSV (row, column, reason) to FILE")
        parser.add_argument("--user", metavar="USERNAME",
                            help="record the changes as this user's, within their jurisdiction")

    def handle(self, *args, kind, file, skip_bad_rows, errors_out, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user {user!r}")

        def progress(done, total):
            end = "\n" if done == total else ""
            self.stdout.write(f"\r{done:,} / {total:,} rows", ending=end)
            self.stdout.flush()

        try:
            rows = read_rows(kind, path.read_bytes(), path.name)
            result = import_places(kind, rows, actor=actor, skip_bad_rows=skip_bad_rows,
                                   source=path.name, progress=progress)
        except PlacesImportError as exc:
            if errors_out:
                Path(errors_out).write_text(error_report(exc.problems), encoding="utf-8")
                self.stderr.write(f"problems written to {errors_out}")
            raise CommandError(str(exc)) from None
        problems = result["problems"]
        if errors_out:
            Path(errors_out).write_text(error_report(problems), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(
            f"{path} ({kind}): {result['created']} new, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['review']} addresses to review, "
            f"{result['skipped']} bad rows skipped"))
        if problems and not errors_out:
            for p in problems[:50]:
                self.stderr.write(f"  - {p}")
