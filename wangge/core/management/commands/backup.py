from django.core.management.base import BaseCommand, CommandError

from wangge.core.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Back up the database (SQLite: the online backup API, safe while the site runs; "
            "PostgreSQL: pg_dump -Fc), the media folder and a manifest.json (time, Wangge "
            "version, database engine, the fingerprints of the keys — never the keys — and "
            "each file's size and SHA-256) into DIR, a new or empty directory. Keep DATA_KEYS "
            "and LOOKUP_KEY apart from the backups: without them the personal data in a backup "
            "cannot be read.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")

    def handle(self, *args, directory, **options):
        from wangge.audit.choices import Event, Outcome
        from wangge.audit.services import record

        try:
            manifest = backup(directory)
        except (BackupError, OSError) as exc:
            record(Event.BACKUP, outcome=Outcome.FAILED, object_repr=str(directory),
                   reason=str(exc)[:500])
            raise CommandError(str(exc)) from None
        total = sum(f["bytes"] for f in manifest["files"])
        record(Event.BACKUP, object_repr=str(directory), files=len(manifest["files"]),
               bytes=total, engine=manifest["database"]["engine"])
        self.stdout.write(self.style.SUCCESS(
            f"backup written to {directory}: {manifest['database']['engine']} database and "
            f"{len(manifest['files']) - 1} media files, {total:,} bytes"))
