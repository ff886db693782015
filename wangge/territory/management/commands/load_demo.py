import time

from django.core.management.base import BaseCommand

from wangge.territory.demo import build_feature_collection
from wangge.territory.demo_people import DEMO_PASSWORD, LOGINS, create_demo_people
from wangge.territory.models import Area
from wangge.territory.services import import_territory


class Command(BaseCommand):
    help = ("Load the demo county (南安市, real division codes, synthetic polygons, ~3,400 grids) "
            "and demo accounts. Does nothing when it is already loaded.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=350583)

    def handle(self, *args, seed, **options):
        if Area.objects.filter(code="350583000000").exists():
            self.stdout.write("The demo county is already loaded.")
        else:
            started = time.monotonic()
            collection = build_feature_collection(seed)
            result = import_territory(collection, source="demo")
            people = create_demo_people(seed)
            self.stdout.write(self.style.SUCCESS(
                f"Loaded the demo county: {result.created} areas, {people['users']} accounts, "
                f"{people['posts']} grid posts in {time.monotonic() - started:.1f} s."))
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, _display, role, code, unit, *_ in LOGINS:
            self.stdout.write(f"  {username:<12} {role.label:<32} {unit} ({code})")
