"""``wangge demo-data --people N --houses M``: synthetic residents and houses for the demo
county, through the bulk import (wangge/people/bulk.py).

The data is plausible but invented: Chinese names, valid ID numbers of the county (region
350583, born 1930–2024), mobile numbers, addresses on the county's townships and villages,
houses in buildings of the grids with owners among the residents. The same seed gives the same
people, so running it again updates nothing and duplicates nothing.
"""

import tempfile
import time

from django.core.management.base import BaseCommand, CommandError

from wangge.people import bulk


class Command(BaseCommand):
    help = ("Synthetic residents and houses for the demo county (load it first: wangge "
            "load-demo). Default 5,000 people and 1,500 houses; the seeds' scale is "
            "--people 1830000.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=5000)
        parser.add_argument("--houses", type=int, default=1500)
        parser.add_argument("--seed", type=int, default=350583)

    def handle(self, *args, people, houses, seed, **options):
        if people < 0 or houses < 0:
            raise CommandError("--people and --houses are counts")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="wangge-demo-") as folder:
            people_csv = f"{folder}/people.csv"
            houses_csv = f"{folder}/houses.csv"
            try:
                with open(people_csv, "w", encoding="utf-8", newline="") as people_out, \
                        open(houses_csv, "w", encoding="utf-8", newline="") as houses_out:
                    bulk.write_synthetic(people_out, houses_out, people, houses, seed)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None

            def progress(done):
                if options.get("verbosity", 1) > 1:
                    self.stdout.write(f"  {done:,} rows")

            with open(people_csv, encoding="utf-8", newline="") as stream:
                made = bulk.import_people_csv(stream, source="demo-data", progress=progress)
            with open(houses_csv, encoding="utf-8", newline="") as stream:
                homes = bulk.import_houses_csv(stream, source="demo-data", progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {made['created']:,} new people ({made['updated']:,} updated, "
            f"{made['unchanged']:,} unchanged), {homes['created']:,} new houses in "
            f"{homes['buildings_created']:,} new buildings ({homes['updated']:,} updated, "
            f"{homes['unchanged']:,} unchanged) in {time.monotonic() - started:.1f} s."))
