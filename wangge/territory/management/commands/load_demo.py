import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wangge.accounts.models import User
from wangge.territory.demo import build_feature_collection
from wangge.territory.demo_people import DEMO_PASSWORD, LOGINS, create_demo_people
from wangge.territory.models import Area
from wangge.territory.services import import_territory

DEMO_COUNTY = "350583000000"
DEMO_ADMIN = "admin"


class Command(BaseCommand):
    help = ("Load the demo county (南安市, real division codes, synthetic polygons, ~3,400 grids) "
            "and demo accounts. Does nothing when both are already loaded; loads only what is "
            "missing otherwise, all or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=350583)

    def handle(self, *args, seed, **options):
        started = time.monotonic()
        with transaction.atomic():
            has_county = Area.objects.filter(code=DEMO_COUNTY).exists()
            has_people = User.objects.filter(username=DEMO_ADMIN).exists()
            if has_county and has_people:
                self.stdout.write("The demo county is already loaded.")
            else:
                self._load(seed, has_county, has_people, started)
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, _display, role, code, unit, *_ in LOGINS:
            self.stdout.write(f"  {username:<12} {role.label:<32} {unit} ({code})")

    def _load(self, seed, has_county, has_people, started):
        done = []
        if not has_county:
            result = import_territory(build_feature_collection(seed), source="demo")
            done.append(f"{result.created} areas")
        if not has_people:
            clashes = list(User.objects.filter(
                username__in=[login[0] for login in LOGINS]).values_list("username", flat=True))
            if clashes:
                raise CommandError(
                    f"The demo account {DEMO_ADMIN!r} is missing but other demo accounts exist "
                    f"({', '.join(sorted(clashes))}); delete them and run load_demo again.")
            people = create_demo_people(seed)
            done.append(f"{people['users']} accounts, {people['posts']} grid posts")
        else:
            self.stdout.write(f"The demo account {DEMO_ADMIN!r} exists; no accounts were created.")
        self.stdout.write(self.style.SUCCESS(
            f"Loaded the demo county: {', '.join(done)} in {time.monotonic() - started:.1f} s."))
