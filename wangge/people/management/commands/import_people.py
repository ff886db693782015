from wangge.core.management.table_import import TableImportCommand
from wangge.core.tabular import RowProblem
from wangge.people.importer import PeopleImportError, import_people, read_rows


class Command(TableImportCommand):
    help = ("Import residents (实有人口) from CSV or XLSX: columns name, id_number, kind, phone, "
            "area_code, address, tags. Matched by ID number: a re-import updates. All or "
            "nothing unless --skip-bad-rows; every bad row is reported with its column.")

    user_help = "record the changes as this user's, within their jurisdiction"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--bulk", action="store_true",
                            help="the fast path for large files (wangge/people/bulk.py): the "
                                 "same checks and results, written in chunks of many rows")

    def handle(self, *args, file, skip_bad_rows, errors_out, user, bulk=False, **options):
        path = self.table_path(file)
        actor = self.acting_user(user)

        def progress(done, total):
            self.stdout.write(f"{done:,} / {total:,} rows")
            self.stdout.flush()

        def do_import():
            if bulk:
                return self._bulk(path, actor, skip_bad_rows)
            return import_people(read_rows(path.read_bytes(), path.name), actor=actor,
                                 skip_bad_rows=skip_bad_rows, source=str(path),
                                 progress=progress)

        result = self.run_import(do_import, errors_out)
        self.stdout.write(self.style.SUCCESS(
            f"{path}: {result['created']} new, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['skipped']} bad rows skipped"))
        self.show_problems(result["problems"], errors_out)

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
