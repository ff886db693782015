from django.core.management.base import BaseCommand, CommandError

from wangge.accounts import mfa
from wangge.accounts.models import User


class Command(BaseCommand):
    help = ("Remove an account's two-factor device and recovery codes (a lost phone). If its "
            "role requires two-factor login, it is asked to enrol again at the next login.")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if mfa.disable(user, actor=None, reason="reset_by_command"):
            self.stdout.write(f"Two-factor login of {username} removed.")
        else:
            self.stdout.write(f"{username} had no two-factor login.")
