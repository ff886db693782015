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
    # 三权分立 (等保三级): system administration, security administration and audit are held
    # by three different people. 安全管理员 keeps accounts' security (locks, two-factor, tokens,
    # password resets); 审计员 reads the audit trail and nothing else.
    SECURITY_ADMIN = "security_admin", _("Security administrator")  # 安全管理员
    AUDITOR = "auditor", _("Auditor")  # 审计员


# 三权分立: the two controllers (security administration and audit) — only a superuser grants
# these roles, and they read no registers, cases or places of the territory
CONTROLLER_ROLES = frozenset({Role.SECURITY_ADMIN, Role.AUDITOR})
# the holders of the three powers: looked after by a superuser only
POWER_ROLES = frozenset({Role.ADMIN, *CONTROLLER_ROLES})
