from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "wangge.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        from wangge.integrations import alarms  # noqa: F401  (connects the cache signals)
        from wangge.integrations.webhooks import deliver, scan_events
        from wangge.jobs.registry import register, register_periodic

        register("webhook", deliver)
        register_periodic(scan_events)
