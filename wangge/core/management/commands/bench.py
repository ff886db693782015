import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Benchmarks. Each prints its figures; the last line is JSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="which", required=True)
        locate = sub.add_parser("locate", help="point → grid lookups")
        locate.add_argument("--grids", type=int, default=5000)
        locate.add_argument("--points", type=int, default=1_000_000)
        locate.add_argument("--seed", type=int, default=1)

    def handle(self, *args, which, **options):
        if which == "locate":
            from wangge.territory.bench import run

            figures = run(options["grids"], options["points"], options["seed"])
            self.stdout.write(
                f"located {figures['points']:,} points in {figures['grids']:,} grids: "
                f"{figures['points_per_second']:,} points/s vectorised, "
                f"{figures['single_point_us']} µs per single point")
            self.stdout.write(json.dumps(figures))
