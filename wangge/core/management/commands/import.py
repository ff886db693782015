from wangge.core.management.table_import import IMPORT_KINDS, TableImportCommand


class Command(TableImportCommand):
    help = ("Import base data from CSV or XLSX: KIND is people, addresses, buildings, houses, "
            "components or organisations (the columns are those `wangge export KIND` writes; "
            "see the importers in wangge/<app>/importer.py). A re-import updates and never "
            "duplicates. All or nothing unless --skip-bad-rows; every bad row is reported by "
            "row and column, to --errors-out as CSV (row, column, reason). Shows a progress "
            "bar on a terminal. The commands import-people, import-places, import-things and "
            "import-organisations do the same for their kinds.")

    user_help = "import as this user, within their jurisdiction, the changes recorded as theirs"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(IMPORT_KINDS))
        super().add_arguments(parser)
        parser.add_argument("--bulk", action="store_true",
                            help="people only: the fast path for large files "
                                 "(wangge/people/bulk.py), the same checks and results")

    def handle(self, *args, kind, file, skip_bad_rows, errors_out, user, bulk=False, **options):
        self.import_kind(kind, file=file, skip_bad_rows=skip_bad_rows, errors_out=errors_out,
                         user=user, bulk=bulk)
