from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "wangge.cases"
    label = "cases"
    verbose_name = _("Cases")
    def ready(self):
        from wangge.cases.services import sweep_overdue
        from wangge.jobs.registry import register_periodic

        register_periodic(sweep_overdue)
