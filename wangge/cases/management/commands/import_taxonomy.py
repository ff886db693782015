from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.cases.taxonomy import TaxonomyImportError, import_taxonomy, read_rows


class Command(BaseCommand):
    help = ("Import case categories (大类/小类) and their handling limits from CSV or XLSX. "
            "All or nothing; every bad row is listed with its column.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            result = import_taxonomy(read_rows(path.read_bytes(), path.name), source=str(path))
        except TaxonomyImportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"{path}: {result['created']} new and {result['updated']} updated categories"))
