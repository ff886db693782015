from wangge.core.management.table_import import TableImportCommand


class Command(TableImportCommand):
    help = ("Import residents (实有人口) from CSV or XLSX: columns name, id_number, kind, phone, "
            "area_code, address, tags. Matched by ID number: a re-import updates. All or "
            "nothing unless --skip-bad-rows; every bad row is reported with its column. The "
            "same as `wangge import people FILE`.")

    user_help = "record the changes as this user's, within their jurisdiction"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--bulk", action="store_true",
                            help="the fast path for large files (wangge/people/bulk.py): the "
                                 "same checks and results, written in chunks of many rows")

    def handle(self, *args, file, skip_bad_rows, errors_out, user, bulk=False, **options):
        self.import_kind("people", file=file, skip_bad_rows=skip_bad_rows,
                         errors_out=errors_out, user=user, bulk=bulk)
