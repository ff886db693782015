from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.accounts.backends import is_locked
from wangge.accounts.models import User


class LoginForm(AuthenticationForm):
    """Says when an account is locked (and until when) instead of a plain wrong-password."""

    locked_message = ""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            username = self.cleaned_data.get("username")
            user = User.objects.filter(username=username).first() if username else None
            if user is not None and is_locked(user):
                until = timezone.localtime(user.locked_until).strftime("%H:%M")
                self.locked_message = _(
                    "Too many wrong passwords: this account is locked until %(until)s. Try "
                    "again then, or ask your administrator to unlock it.") % {"until": until}
            raise
