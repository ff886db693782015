import json

from django.core.management.base import BaseCommand, CommandError

from wangge.territory.models import Area
from wangge.territory.services import export_territory


class Command(BaseCommand):
    help = "Export the territory (or the subtree under --root) as a GeoJSON FeatureCollection."

    def add_arguments(self, parser):
        parser.add_argument("--root", help="code of the area whose subtree to export")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--indent", type=int, default=None)

    def handle(self, *args, root=None, output=None, indent=None, **options):
        root_area = None
        if root:
            root_area = Area.objects.filter(code=root).first()
            if root_area is None:
                raise CommandError(f"no area with code {root}")
        text = json.dumps(export_territory(root=root_area), ensure_ascii=False, indent=indent)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            self.stdout.write(text)
