from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    CHENGGUAN = "chengguan", _("Urban management bureau")  # 城管局
    POLICE = "police", _("Police station")  # 公安派出所
    HOUSING = "housing", _("Housing and construction bureau")  # 住建局
    MARKET = "market", _("Market regulation bureau")  # 市场监管局
    EMERGENCY = "emergency", _("Emergency management bureau")  # 应急管理局
    ENVIRONMENT = "environment", _("Ecology and environment bureau")  # 生态环境局
    FIRE = "fire", _("Fire and rescue brigade")  # 消防救援大队
    TRANSPORT = "transport", _("Transport bureau")  # 交通运输局
    WATER = "water", _("Water resources bureau")  # 水利局
    CIVIL = "civil", _("Civil affairs bureau")  # 民政局
    HEALTH = "health", _("Health commission")  # 卫健局
    POWER = "power", _("Power supply company")  # 供电公司
    WATERWORKS = "waterworks", _("Waterworks company")  # 自来水公司
    JUSTICE = "justice", _("Justice bureau")  # 司法局
    LANDSCAPE = "landscape", _("Landscaping center")  # 园林绿化中心
    NATURAL_RESOURCES = "natural_resources", _("Natural resources bureau")  # 自然资源局
    STREET_OFFICE = "street_office", _("Street / township office")  # 街道办事处
    COMMUNITY = "community", _("Community committee")  # 社区居委会
