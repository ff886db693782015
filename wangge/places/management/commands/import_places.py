from wangge.core.management.table_import import TableImportCommand
from wangge.places.importer import KINDS


class Command(TableImportCommand):
    help = ("Import places from CSV or XLSX: KIND is addresses, buildings or houses (columns in "
            "wangge/places/importer.py). A re-import updates and never duplicates. All or "
            "nothing unless --skip-bad-rows; every bad row is reported with its column. The "
            "same as `wangge import KIND FILE`.")

    user_help = "record the changes as this user's, within their jurisdiction"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        super().add_arguments(parser)

    def handle(self, *args, kind, file, skip_bad_rows, errors_out, user, **options):
        self.import_kind(kind, file=file, skip_bad_rows=skip_bad_rows, errors_out=errors_out,
                         user=user)
