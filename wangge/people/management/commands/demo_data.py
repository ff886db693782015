"""``wangge demo-data [--people N --houses M --organisations N --components N --devices N
--cameras N] [--scale seeds]``: synthetic base data for the demo county.

Residents and houses go through the bulk import (wangge/people/bulk.py); organisations,
components and devices are made by wangge/organisations/synthetic.py, wangge/things/synthetic.py
and wangge/integrations/synthetic.py (bulk inserts, points placed inside their grids with the
vectorised locate). ``--scale seeds`` sets the seeds' figures for 南安 (DOMAIN.md): 1.83 M
people, 400 k houses, 36 k organisations, 100 k components, 16,116 cameras and 20 k sensors;
options given as well override it.

The data is plausible but invented: Chinese names, valid ID numbers of the county (region
350583, born 1930–2024), mobile numbers, addresses on the county's townships and villages,
houses in buildings of the grids with owners among the residents. The same seed gives the same
people, so running it again updates nothing and duplicates nothing; the same holds for the
organisations, components and devices (record *i* depends only on the seed and *i*, so raising a
count later only adds records).
"""

import tempfile
import time

from django.core.management.base import BaseCommand, CommandError

from wangge.people import bulk

DEFAULTS = {"people": 5000, "houses": 1500, "organisations": 600, "components": 2000,
            "devices": 300, "cameras": None}
# 南安 in the seeds (DOMAIN.md): 1.83 M people, ~400 k buildings, 36 k enterprises, 16,116
# cameras; components and sensors are our estimate
SCALES = {"seeds": {"people": 1_830_000, "houses": 400_000, "organisations": 36_000,
                    "components": 100_000, "devices": 36_116, "cameras": 16_116}}
CAMERA_SHARE = 0.45  # of --devices when --cameras is not given


class Command(BaseCommand):
    help = ("Synthetic base data for the demo county (load it first: wangge load-demo). "
            "Default 5,000 people, 1,500 houses, 600 organisations, 2,000 components and "
            "300 devices; --scale seeds gives the seeds' figures (1.83 M people …).")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int)
        parser.add_argument("--houses", type=int)
        parser.add_argument("--organisations", type=int)
        parser.add_argument("--components", type=int)
        parser.add_argument("--devices", type=int,
                            help="sensors and cameras together (default 300)")
        parser.add_argument("--cameras", type=int,
                            help=f"how many of the devices are cameras (default "
                                 f"{CAMERA_SHARE * 100:.0f}%% of them)")
        parser.add_argument("--scale", choices=sorted(SCALES),
                            help="the seeds' figures; other options given override them")
        parser.add_argument("--seed", type=int, default=350583)

    def handle(self, *args, seed, scale=None, **options):
        from wangge.core.production import refuse_demo

        refuse_demo("demo-data")
        counts = dict(DEFAULTS, **(SCALES[scale] if scale else {}))
        counts.update({k: options[k] for k in DEFAULTS if options.get(k) is not None})
        if options.get("devices") is not None and options.get("cameras") is None:
            counts["cameras"] = None  # the share of the devices given
        if any(v is not None and v < 0 for v in counts.values()):
            raise CommandError("--people, --houses, --organisations, --components, --devices "
                               "and --cameras are counts")
        devices = counts["devices"]
        cameras = counts["cameras"]
        if cameras is None:
            cameras = round(devices * CAMERA_SHARE)
        if cameras > devices:
            raise CommandError(f"--cameras {cameras} is more than --devices {devices}")
        started = time.monotonic()
        self._people(counts["people"], counts["houses"], seed, options)
        self._things(counts["organisations"], counts["components"], devices - cameras,
                     cameras, seed)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data done in {time.monotonic() - started:.1f} s."))

    def _things(self, organisations: int, components: int, sensors: int, cameras: int,
                seed: int) -> None:
        from wangge.integrations.synthetic import create_devices
        from wangge.organisations.synthetic import create_organisations
        from wangge.territory.synthetic import GridSampler
        from wangge.things.synthetic import create_components

        if not (organisations or components or sensors or cameras):
            return
        try:
            sampler = GridSampler()
            moment = time.monotonic()
            orgs = create_organisations(organisations, seed, sampler)
            self.stdout.write(self.style.SUCCESS(
                f"Demo data: {orgs['organisations']:,} new organisations "
                f"({orgs['existing']:,} there already), {orgs['inspections']:,} inspections "
                f"in {time.monotonic() - moment:.1f} s."))
            moment = time.monotonic()
            made = create_components(components, seed, sampler)
            self.stdout.write(self.style.SUCCESS(
                f"Demo data: {made['components']:,} new city components "
                f"({made['existing']:,} there already) in {time.monotonic() - moment:.1f} s."))
            moment = time.monotonic()
            made = create_devices(sensors, cameras, seed, sampler)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {made['sensors']:,} new sensors ({made['linked']:,} at organisations) "
            f"and {made['cameras']:,} new cameras ({made['existing']:,} there already) in "
            f"{time.monotonic() - moment:.1f} s."))

    def _people(self, people: int, houses: int, seed: int, options: dict) -> None:
        if not (people or houses):
            return
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="wangge-demo-") as folder:
            people_csv = f"{folder}/people.csv"
            houses_csv = f"{folder}/houses.csv"
            try:
                with open(people_csv, "w", encoding="utf-8", newline="") as people_out, \
                        open(houses_csv, "w", encoding="utf-8", newline="") as houses_out:
                    bulk.ensure_demo_tags()
                    bulk.write_synthetic(people_out, houses_out, people, houses, seed,
                                         with_tags=True)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from None

            def progress(done):
                if options.get("verbosity", 1) > 1:
                    self.stdout.write(f"  {done:,} rows")

            with open(people_csv, encoding="utf-8", newline="") as stream:
                made = bulk.import_people_csv(stream, source="demo-data", progress=progress)
            with open(houses_csv, encoding="utf-8", newline="") as stream:
                homes = bulk.import_houses_csv(stream, source="demo-data", progress=progress)
        from wangge.places.synthetic import link_residents

        moment = time.monotonic()
        households = link_residents(seed)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {households['residences']:,} residents registered in "
            f"{households['houses']:,} houses in {time.monotonic() - moment:.1f} s."))
        self.stdout.write(self.style.SUCCESS(
            f"Demo data: {made['created']:,} new people ({made['updated']:,} updated, "
            f"{made['unchanged']:,} unchanged), {homes['created']:,} new houses in "
            f"{homes['buildings_created']:,} new buildings ({homes['updated']:,} updated, "
            f"{homes['unchanged']:,} unchanged) in {time.monotonic() - started:.1f} s."))
