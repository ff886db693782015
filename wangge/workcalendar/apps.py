from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkCalendarConfig(AppConfig):
    name = "wangge.workcalendar"
    label = "workcalendar"
    verbose_name = _("Work calendar")

    def ready(self):
        from wangge.workcalendar import signals  # noqa: F401
