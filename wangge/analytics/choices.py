from django.db import models
from django.utils.translation import gettext_lazy as _


class WarningKind(models.TextChoices):
    SPIKE = "spike", _("Rise above baseline")  # 数量异常上升
    REPEAT = "repeat", _("Repeated at one place")  # 同一地点反复上报
    HOTSPOT = "hotspot", _("Hot spot")  # 热点区域
