from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.territory.services import TerritoryImportError, import_territory


class Command(BaseCommand):
    help = ("Import areas (county, townships, villages, grids) from a GeoJSON FeatureCollection. "
            "All or nothing: a file with any problem is rejected whole, every problem listed.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .geojson file, or - for standard input")

    def handle(self, *args, file, **options):
        if file == "-":
            import sys

            data = sys.stdin.buffer.read()
            source = "<stdin>"
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"{file}: no such file")
            data = path.read_bytes()
            source = str(path)
        try:
            result = import_territory(data, source=source)
        except TerritoryImportError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"{source}: imported {result.total} areas ({result.created} new, "
            f"{result.updated} updated)"))
