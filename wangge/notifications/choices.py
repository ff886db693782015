from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    NEW_TASK = "new_task", _("New task")  # 新任务
    OVERDUE = "overdue", _("Overdue")  # 超时
    RETURNED = "returned", _("Returned")  # 回退
    SUPERVISION = "supervision", _("Supervision")  # 督办
    TO_VERIFY = "to_verify", _("Result to verify")  # 待核查
    EXTENSION = "extension", _("Extension")  # 延期
    UPDATE = "update", _("Case update")  # 进展
