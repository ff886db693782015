from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "wangge.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # django-otp registers its TOTP devices in the admin, where a superuser could give
        # someone else's account a device of their own choosing. Accounts enrol themselves
        # (/account/mfa/); a lost phone is reset with `wangge reset-mfa USERNAME`.
        from django.contrib import admin
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if admin.site.is_registered(TOTPDevice):
            admin.site.unregister(TOTPDevice)
