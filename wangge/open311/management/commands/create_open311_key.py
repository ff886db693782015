from django.core.management.base import BaseCommand, CommandError

from wangge.cases.choices import Source
from wangge.open311.services import issue_key


class Command(BaseCommand):
    help = ("Issue an Open311 API key for a client (wangge create-open311-key NAME --source "
            "hotline). The key is printed once; only its digest is stored.")

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--source", default=Source.RESIDENT, choices=Source.values,
                            help="the channel recorded on the cases this client reports")
        parser.add_argument("--note", default="")

    def handle(self, *args, name, source, note, **options):
        try:
            client, key = issue_key(name=name, source=source, note=note)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Open311 client #{client.pk} {client.name} ({client.source}); "
                          "store this key now, it is not shown again:")
        self.stdout.write(key)
