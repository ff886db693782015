from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """One message for every refusal: an unknown username, a wrong password, a locked or an
    inactive account look the same from outside (why is kept in the audit trail)."""

    error_messages = {
        "invalid_login": _(
            "The username or password is wrong, or the account is locked for a while after "
            "repeated failures. Check both and try again later, or ask your administrator."),
        "inactive": _(
            "The username or password is wrong, or the account is locked for a while after "
            "repeated failures. Check both and try again later, or ask your administrator."),
    }

    def confirm_login_allowed(self, user):
        if not user.is_active:  # the backend already refuses them; the same words regardless
            raise forms.ValidationError(self.error_messages["invalid_login"],
                                        code="invalid_login")


class CodeForm(forms.Form):
    """A 6-digit code of the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("One-time code"), max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "inputmode": "text", "spellcheck": "false",
                                      "autocapitalize": "characters"}))


class EnrolForm(forms.Form):
    """The code of the new device; when the account already has one (a new phone), also the
    password, so that a session left open can't swap in someone else's device."""

    code = forms.CharField(
        label=_("The 6-digit code the app shows now"), max_length=12, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True, "pattern": "[0-9 ]*"}))

    def __init__(self, *args, user=None, confirm_password=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if confirm_password:
            self.fields["password"] = forms.CharField(label=_("Your password"), strip=False,
                                                      widget=forms.PasswordInput())

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is wrong."), code="password_incorrect")
        return password


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's change form (the old password, the new one twice, every validator of
    AUTH_PASSWORD_VALIDATORS with its message); the save is the view's (audited)."""


class ConfirmPasswordForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={
                                   "autocomplete": "current-password"}))

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("The password is wrong."), code="password_incorrect")
        return password
