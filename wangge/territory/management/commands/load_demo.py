import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wangge.accounts.models import User
from wangge.territory.demo import build_feature_collection
from wangge.territory.demo_people import (
    DEMO_PASSWORD,
    LOGINS,
    SECURITY_LOGINS,
    create_demo_people,
    ensure_security_logins,
)
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
        parser.add_argument("--cases", type=int, default=240,
                            help="demo cases to play through the services (default 240)")

    def handle(self, *args, seed, cases=240, **options):
        from wangge.core.production import refuse_demo

        refuse_demo("load-demo")
        started = time.monotonic()
        with transaction.atomic():
            has_county = Area.objects.filter(code=DEMO_COUNTY).exists()
            has_people = User.objects.filter(username=DEMO_ADMIN).exists()
            if has_county and has_people:
                self.stdout.write("The demo county is already loaded.")
                if ensure_security_logins():
                    self.stdout.write("Added the security administrator and auditor logins.")
            else:
                self._load(seed, has_county, has_people, started)
                self._units_and_cases(cases)
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, _display, role, code, unit, *_ in LOGINS + SECURITY_LOGINS:
            self.stdout.write(f"  {username:<12} {role.label:<32} {unit} ({code})")

    def _units_and_cases(self, cases: int) -> None:
        """Departments with a handler each, the department logins, and demo cases."""
        from django.contrib.auth.hashers import make_password

        from wangge.cases.models import Case
        from wangge.dispatch.demo import create_department_handlers, create_departments
        from wangge.territory.demo_people import DEPARTMENT_LOGINS

        departments = create_departments(Area.objects.get(code=DEMO_COUNTY))
        create_department_handlers(departments, make_password(DEMO_PASSWORD))
        for username, code in DEPARTMENT_LOGINS.items():
            if code in departments:
                User.objects.filter(username=username).update(department=departments[code])
        if cases and not Case.objects.exists():
            from wangge.cases.demo import create_demo_cases

            made = create_demo_cases(cases)
            self.stdout.write(f"Played {made} demo cases through the case services.")

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
