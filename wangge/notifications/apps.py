from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "wangge.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from wangge.jobs.registry import register
        from wangge.notifications.services import deliver

        register("notify", deliver)
