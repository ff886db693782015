from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridappConfig(AppConfig):
    name = "wangge.gridapp"
    label = "gridapp"
    verbose_name = _("Grid-worker app")
