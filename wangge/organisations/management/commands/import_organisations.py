from wangge.core.management.table_import import TableImportCommand


class Command(TableImportCommand):
    help = ("Import organisations (enterprises, shops, 三小场所, social organisations) from CSV "
            "or XLSX: columns kind, name, credit_code, address, lon, lat, grid_code, industry, "
            "contact_name, contact_phone, risk_level, note. Matched by credit code: a re-import "
            "updates. All or nothing unless --skip-bad-rows; every bad row is reported with "
            "its column. The same as `wangge import organisations FILE`.")

    def handle(self, *args, file, skip_bad_rows, errors_out, user, **options):
        self.import_kind("organisations", file=file, skip_bad_rows=skip_bad_rows,
                         errors_out=errors_out, user=user)
