from django.core.management.base import BaseCommand, CommandError

from wangge.accounts.models import ApiToken, User
from wangge.accounts.services import issue_token, revoke_token, token_days


class Command(BaseCommand):
    help = ("Issue an API bearer token for a user (the key is printed once), or revoke a "
            "user's tokens of one name with --revoke NAME. A new token is read-only unless "
            "--scope write, and expires after --days (default API_TOKEN_DAYS).")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=None,
                            help="lifetime in days (default: API_TOKEN_DAYS, 90)")
        parser.add_argument("--scope", choices=ApiToken.Scope.values,
                            default=ApiToken.Scope.READ,
                            help="read (GET only, the default) or write")
        parser.add_argument("--revoke", metavar="NAME",
                            help="revoke the user's live tokens of this name instead")

    def handle(self, *args, username, name, days, scope, revoke, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if revoke is not None:
            tokens = list(ApiToken.objects.filter(user=user, name=revoke, revoked=False))
            if not tokens:
                raise CommandError(f"{username} has no live token named {revoke!r}")
            for token in tokens:
                revoke_token(actor=None, token=token, reason="wangge create-token --revoke")
            self.stdout.write(f"revoked {len(tokens)} token(s) named {revoke!r} of {username}")
            return
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more")
        if not user.is_active:
            raise CommandError(f"{username} is not active: a token would not work")
        token, key = issue_token(actor=None, user=user, name=name, days=days or token_days(),
                                 scope=scope)
        self.stderr.write(f"{scope} token {name!r} for {username}, expires "
                          f"{token.expires_at:%Y-%m-%d %H:%M %Z}")
        self.stdout.write(key)
