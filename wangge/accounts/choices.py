from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("System administrator")  # 系统管理员
    LEADER = "leader", _("Leader")  # 领导
    OPERATOR = "operator", _("Command-center operator")  # 指挥中心坐席/受理员/派遣员
    DISPATCHER = "dispatcher", _("Street / community dispatcher")  # 街道、社区受理员
    DEPARTMENT = "department", _("Department handler")  # 职能部门
    INSPECTOR = "inspector", _("Inspector")  # 督察员
    GRID_WORKER = "grid_worker", _("Grid worker")  # 网格员
