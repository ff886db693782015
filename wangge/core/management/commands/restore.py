from django.core.management.base import BaseCommand, CommandError

from wangge.core.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Restore a backup made by `wangge backup` from DIR into the configured database "
            "and media folder. Checks first that every file is whole (size and SHA-256 of the "
            "manifest), that the database engine is the configured one and that DATA_KEYS and "
            "LOOKUP_KEY are the keys the backup's data was written with; refuses to overwrite a "
            "database that holds data unless --force. Stop the site and the worker first.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("directory", metavar="DIR")
        parser.add_argument("--force", action="store_true",
                            help="overwrite a database that holds data, and the media folder")

    def handle(self, *args, directory, force=False, **options):
        from wangge.audit.choices import Event
        from wangge.audit.services import record

        try:
            manifest = restore(directory, force=force)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        record(Event.RESTORE, object_repr=str(directory), created_at=manifest["created_at"],
               files=len(manifest["files"]), forced=force)
        self.stdout.write(self.style.SUCCESS(
            f"restored the backup of {manifest['created_at']} (Wangge "
            f"{manifest.get('wangge_version', '?')}); the keys fit the restored database"))
