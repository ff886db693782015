from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from wangge.core import keys


class Command(BaseCommand):
    help = ("Compare DATA_KEYS and LOOKUP_KEY with the key fingerprints stored in the database "
            "(every process does this on its first connection and refuses to run on a "
            "difference). Exit 0 when they fit. --retire ID forgets a data key that no value "
            "uses any more (after `wangge rotate-data-keys`).")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--retire", metavar="KEY_ID",
                            help="forget this data key's fingerprint (refused while any value "
                                 "is still encrypted with it)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, retire=None, database=DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        with keys.suspended():
            try:
                current = keys.configured()
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from None
            if not keys.has_table(connection):
                raise CommandError("the database has no key fingerprints table: run "
                                   "`wangge migrate` first")
            if retire:
                try:
                    removed = keys.retire(connection, retire)
                except ImproperlyConfigured as exc:
                    raise CommandError(str(exc)) from None
                if not removed:
                    raise CommandError(f"the database knows no data key {retire!r}")
                self.stdout.write(f"data key {retire!r} retired")
            stored = keys.stored(connection)
            for name in sorted(set(stored) | set(current)):
                if name not in stored:
                    state = "new (stored on the next start)"
                elif name not in current:
                    state = "MISSING from the configuration"
                elif stored[name] == current[name]:
                    state = "ok"
                else:
                    state = "DIFFERS"
                self.stdout.write(f"{name:<24} {state}")
            problems = keys.differences(stored, current)
            if problems:
                raise CommandError("; ".join(problems))
            self.stdout.write(self.style.SUCCESS("the keys fit the database"))
