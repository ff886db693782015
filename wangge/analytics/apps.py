from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "wangge.analytics"
    label = "analytics"
    verbose_name = _("Statistics and early warning")

    def ready(self):
        from wangge.analytics.services import tick
        from wangge.jobs.registry import register_periodic

        register_periodic(tick)
