from django.core.management.base import BaseCommand, CommandError

from wangge.accounts.models import User
from wangge.accounts.services import issue_token


class Command(BaseCommand):
    help = "Issue an API bearer token for a user; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        _, key = issue_token(actor=None, user=user, name=name)
        self.stdout.write(key)
