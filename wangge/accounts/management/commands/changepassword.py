"""Django's ``changepassword``, plus the 等保 rule: a password set here by an operator must be
changed by its owner at the next login (and the reset is written to the audit trail)."""

import getpass

from django.contrib.auth.management.commands import changepassword

from wangge.accounts.models import User
from wangge.accounts.passwords import password_set_by_admin


class Command(changepassword.Command):
    def handle(self, *args, **options):
        result = super().handle(*args, **options)
        username = options.get("username") or getpass.getuser()
        user = User.objects.filter(username=username).first()
        if user is not None:
            password_set_by_admin(actor=None, user=user, via="command")
            self.stdout.write("The user must choose a new password at the next login.")
        return result
