from wangge.core.management.table_import import TableImportCommand
from wangge.things.importer import import_components, read_component_rows

KINDS = {"components": (read_component_rows, import_components)}


class Command(TableImportCommand):
    help = ("Import things from CSV or XLSX: `components` (城市部件) with columns code, name, "
            "status, lon, lat, owner_unit, maintainer_unit, address, note. Matched by code: a "
            "re-import updates. All or nothing unless --skip-bad-rows; every bad row is "
            "reported with its column.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        super().add_arguments(parser)

    def handle(self, *args, kind, file, skip_bad_rows, errors_out, user, **options):
        path = self.table_path(file)
        actor = self.acting_user(user)
        reader, importer = KINDS[kind]

        def progress(done, total):
            self.stdout.write(f"{done:,} / {total:,} rows")

        result = self.run_import(lambda: importer(
            reader(path.read_bytes(), path.name), actor=actor, skip_bad_rows=skip_bad_rows,
            source=str(path), progress=progress), errors_out)
        self.stdout.write(self.style.SUCCESS(
            f"{path}: {result['created']} new, {result['updated']} updated, "
            f"{result.get('unchanged', 0)} unchanged, "
            f"{result['skipped']} bad rows skipped"))
        self.show_problems(result["problems"], errors_out)
