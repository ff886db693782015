from wangge.core.management.table_import import TableImportCommand
from wangge.organisations.importer import import_organisations, read_organisation_rows


class Command(TableImportCommand):
    help = ("Import organisations (enterprises, shops, 三小场所, social organisations) from CSV "
            "or XLSX: columns kind, name, credit_code, address, lon, lat, grid_code, industry, "
            "contact_name, contact_phone, risk_level, note. Matched by credit code: a re-import "
            "updates. All or nothing unless --skip-bad-rows; every bad row is reported with "
            "its column.")

    def handle(self, *args, file, skip_bad_rows, errors_out, user, **options):
        path = self.table_path(file)
        actor = self.acting_user(user)

        def progress(done, total):
            self.stdout.write(f"{done:,} / {total:,} rows")

        result = self.run_import(lambda: import_organisations(
            read_organisation_rows(path.read_bytes(), path.name), actor=actor,
            skip_bad_rows=skip_bad_rows, source=str(path), progress=progress), errors_out)
        self.stdout.write(self.style.SUCCESS(
            f"{path}: {result['created']} new, {result['updated']} updated, "
            f"{result.get('unchanged', 0)} unchanged, "
            f"{result['skipped']} bad rows skipped"))
        self.show_problems(result["problems"], errors_out)
