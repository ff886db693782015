from wangge.core.management.table_import import TableImportCommand
from wangge.places.importer import KINDS, import_places, read_rows


class Command(TableImportCommand):
    help = ("Import places from CSV or XLSX: KIND is addresses, buildings or houses (columns in "
            "wangge/places/importer.py). A re-import updates and never duplicates. All or "
            "nothing unless --skip-bad-rows; every bad row is reported with its column.")

    user_help = "record the changes as this user's, within their jurisdiction"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        super().add_arguments(parser)

    def handle(self, *args, kind, file, skip_bad_rows, errors_out, user, **options):
        path = self.table_path(file)
        actor = self.acting_user(user)

        def progress(done, total):
            end = "\n" if done == total else ""
            self.stdout.write(f"\r{done:,} / {total:,} rows", ending=end)
            self.stdout.flush()

        result = self.run_import(lambda: import_places(
            kind, read_rows(kind, path.read_bytes(), path.name), actor=actor,
            skip_bad_rows=skip_bad_rows, source=path.name, progress=progress), errors_out)
        self.stdout.write(self.style.SUCCESS(
            f"{path} ({kind}): {result['created']} new, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['review']} addresses to review, "
            f"{result['skipped']} bad rows skipped"))
        self.show_problems(result["problems"], errors_out)
