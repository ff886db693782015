from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wangge.core.tabular import RowProblem, error_report
from wangge.people.importer import PeopleImportError, import_people, read_rows


class Command(BaseCommand):
    help = ("Import residents (实有人口) from CSV or XLSX: columns name, id_number, kind, phone, "
            "area_code, address, tags. Matched by ID number: a re-import updates. All or "
            "nothing unless --skip-bad-rows; every bad row is reported with its column.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--skip-bad-rows", action="store_true",
                            help="import the good rows and report the bad ones")
        parser.add_argument("--errors-out", metavar="FILE",
                            help="write the problems as CSV (row, column, reason) to FILE")
        parser.add_argument("--bulk", action="store_true",
                            help="the fast path for large files (wangge/people/bulk.py): the "
                                 "same checks and results, written in chunks of many rows")
        parser.add_argument("--user", metavar="USERNAME",
                            help="record the changes as this user's, within their jurisdiction")

    def handle(self, *args, file, skip_bad_rows, errors_out, user, bulk=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user {user!r}")

        def progress(done, total):
            self.stdout.write(f"{done:,} / {total:,} rows")
            self.stdout.flush()

        try:
            if bulk:
                result = self._bulk(path, actor, skip_bad_rows)
            else:
                rows = read_rows(path.read_bytes(), path.name)
                result = import_people(rows, actor=actor, skip_bad_rows=skip_bad_rows,
                                       source=str(path), progress=progress)
        except PeopleImportError as exc:
            if errors_out:
                Path(errors_out).write_text(error_report(exc.problems), encoding="utf-8")
                self.stderr.write(f"problems written to {errors_out}")
            raise CommandError(str(exc)) from None
        problems = result["problems"]
        if errors_out:
            Path(errors_out).write_text(error_report(problems), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(
            f"{path}: {result['created']} new, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['skipped']} bad rows skipped"))
        if problems and not errors_out:
            for p in problems[:50]:
                self.stderr.write(f"  - {p}")

    def _bulk(self, path, actor, skip_bad_rows):
        from wangge.people import bulk

        def progress(done):
            self.stdout.write(f"{done:,} rows")
            self.stdout.flush()

        options = {"actor": actor, "skip_bad_rows": skip_bad_rows, "source": str(path),
                   "progress": progress}
        if path.name.lower().endswith(".xlsx"):
            return bulk.import_people(read_rows(path.read_bytes(), path.name), **options)
        with open(path, encoding="utf-8-sig", newline="") as stream:
            try:
                return bulk.import_people_csv(stream, **options)
            except UnicodeDecodeError as exc:
                raise PeopleImportError([RowProblem(0, "", f"not UTF-8 text: {exc}")],
                                        str(path)) from None
