from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThingsConfig(AppConfig):
    name = "wangge.things"
    label = "things"
    verbose_name = _("City components")
