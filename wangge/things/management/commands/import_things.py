from wangge.core.management.table_import import TableImportCommand


class Command(TableImportCommand):
    help = ("Import things from CSV or XLSX: `components` (城市部件) with columns code, name, "
            "status, lon, lat, owner_unit, maintainer_unit, address, note. Matched by code: a "
            "re-import updates. All or nothing unless --skip-bad-rows; every bad row is "
            "reported with its column. The same as `wangge import components FILE`.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["components"])
        super().add_arguments(parser)

    def handle(self, *args, kind, file, skip_bad_rows, errors_out, user, **options):
        self.import_kind(kind, file=file, skip_bad_rows=skip_bad_rows, errors_out=errors_out,
                         user=user)
