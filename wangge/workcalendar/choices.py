from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeUnit(models.TextChoices):
    """Units in which a time limit (办理时限) is expressed."""

    WORKING_HOURS = "wh", _("Working hours")  # 工作时
    WORKING_DAYS = "wd", _("Working days")  # 工作日
    NATURAL_HOURS = "nh", _("Natural hours")  # 自然时


class DayKind(models.TextChoices):
    """Why a date departs from the weekly rule."""

    HOLIDAY = "holiday", _("Holiday")  # 节假日（放假）
    MAKEUP_WORKDAY = "makeup_workday", _("Make-up workday")  # 调休上班
