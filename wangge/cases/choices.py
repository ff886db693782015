from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    EVENT = "event", _("Event")  # 事件
    COMPONENT = "component", _("Component")  # 部件


class Tier(models.TextChoices):
    """Who handles a case: the three loops (微循环, 小循环, 大循环) plus the community."""

    GRID = "grid", _("Grid")  # 网格
    COMMUNITY = "community", _("Community")  # 社区/村
    STREET = "street", _("Street / township")  # 街道/镇
    DISTRICT = "district", _("District center")  # 区(县)指挥中心


TIER_ORDER = [Tier.GRID, Tier.COMMUNITY, Tier.STREET, Tier.DISTRICT]
# the territory level of the area that stands for each tier
TIER_LEVEL = {Tier.GRID: 4, Tier.COMMUNITY: 3, Tier.STREET: 2, Tier.DISTRICT: 1}


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")  # 一般
    URGENT = "urgent", _("Urgent")  # 紧急
    CRITICAL = "critical", _("Critical")  # 特急


URGENCY_ORDER = [Urgency.NORMAL, Urgency.URGENT, Urgency.CRITICAL]


class Source(models.TextChoices):
    PATROL = "patrol", _("Grid-worker patrol")  # 网格员巡查
    RESIDENT = "resident", _("Resident report")  # 群众上报
    HOTLINE = "hotline", _("Hotline 12345")  # 12345热线
    IOT = "iot", _("IoT alarm")  # 物联感知
    VIDEO = "video", _("Video recognition")  # 视频识别
    DEPARTMENT = "department", _("Department transfer")  # 部门移交
    INSPECTOR = "inspector", _("Inspector spot check")  # 督察巡查
    LEADER = "leader", _("Leader instruction")  # 领导交办


class Status(models.TextChoices):
    REPORTED = "reported", _("Awaiting acceptance")  # 待受理
    TO_DISPATCH = "to_dispatch", _("Awaiting dispatch")  # 待派遣
    DISPATCHED = "dispatched", _("Awaiting sign-off")  # 待签收
    IN_PROGRESS = "in_progress", _("Being handled")  # 处置中
    TO_VERIFY = "to_verify", _("Awaiting verification")  # 待核查
    TO_CLOSE = "to_close", _("Awaiting closure")  # 待结案
    PARKED = "parked", _("Parked")  # 挂账
    CLOSED = "closed", _("Closed")  # 已结案
    REJECTED = "rejected", _("Not filed")  # 不予立案
    VOIDED = "voided", _("Voided")  # 作废
    MERGED = "merged", _("Merged")  # 已合并


FINAL_STATUSES = {Status.CLOSED, Status.REJECTED, Status.VOIDED, Status.MERGED}
OPEN_STATUSES = [s for s in Status if s not in FINAL_STATUSES]


class Step(models.TextChoices):
    """The timed steps; each has a time limit per category and urgency."""

    ACCEPT = "accept", _("Acceptance")  # 受理
    DISPATCH = "dispatch", _("Dispatch")  # 派遣
    HANDLE = "handle", _("Handling")  # 处置
    VERIFY = "verify", _("Verification")  # 核查
    CLOSE = "close", _("Closure")  # 结案


STEP_OF_STATUS = {
    Status.REPORTED: Step.ACCEPT,
    Status.TO_DISPATCH: Step.DISPATCH,
    Status.DISPATCHED: Step.HANDLE,
    Status.IN_PROGRESS: Step.HANDLE,
    Status.TO_VERIFY: Step.VERIFY,
    Status.TO_CLOSE: Step.CLOSE,
}


class LimitUnit(models.TextChoices):
    WORK_HOURS = "wh", _("working hours")  # 工作时
    WORK_DAYS = "wd", _("working days")  # 工作日
    HOURS = "nh", _("hours")  # 自然时
    MINUTES = "nm", _("minutes")  # 自然分钟


class Action(models.TextChoices):
    REPORT = "report", _("Reported")  # 上报
    ACCEPT = "accept", _("Accepted")  # 受理/立案
    REJECT = "reject", _("Not filed")  # 不予立案
    VOID = "void", _("Voided")  # 作废
    MERGE = "merge", _("Merged into another case")  # 合并
    DISPATCH = "dispatch", _("Dispatched")  # 派遣
    ASSIGN_DOWN = "assign_down", _("Assigned down")  # 下派
    ESCALATE = "escalate", _("Escalated")  # 上报上级
    SIGN = "sign", _("Signed for")  # 签收
    FEEDBACK = "feedback", _("Handling reported")  # 处置反馈
    RETURN = "return", _("Returned")  # 回退
    EXTENSION_REQUEST = "extension_request", _("Extension requested")  # 延期申请
    EXTENSION_APPROVE = "extension_approve", _("Extension approved")  # 延期批准
    EXTENSION_REFUSE = "extension_refuse", _("Extension refused")  # 延期驳回
    PARK = "park", _("Parked")  # 挂账
    RESUME = "resume", _("Resumed")  # 恢复
    VERIFY_PASS = "verify_pass", _("Verification passed")  # 核查通过
    VERIFY_FAIL = "verify_fail", _("Verification failed, rework")  # 核查不通过, 返工
    CLOSE = "close", _("Closed")  # 结案
    EVALUATE = "evaluate", _("Evaluated")  # 评价
    SELF_HANDLE = "self_handle", _("Handled on the spot")  # 自处置
    URGE = "urge", _("Marked urgent")  # 加急
    INSTRUCT = "instruct", _("Leader's instruction")  # 领导批示
    SUPERVISE = "supervise", _("Supervision")  # 督办
    SUPERVISION_REPLY = "supervision_reply", _("Supervision answered")  # 督办回复
    OVERDUE = "overdue", _("Step overdue")  # 超时
    DUPLICATE_FLAG = "duplicate_flag", _("Suspected duplicate")  # 疑似重复
    MERGED_IN = "merged_in", _("A duplicate report was merged in")  # 合并入


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    FAIRLY = "fairly", _("Fairly satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Unsatisfied")  # 不满意


class SupervisionLevel(models.TextChoices):
    NORMAL = "normal", _("Ordinary")  # 普通督办
    YELLOW = "yellow", _("Yellow card")  # 黄牌
    RED = "red", _("Red card")  # 红牌


class Light(models.TextChoices):
    GREEN = "green", _("On time")
    YELLOW = "yellow", _("Nearly due")
    RED = "red", _("Overdue")
    NONE = "none", _("No deadline")


class AttachmentKind(models.TextChoices):
    BEFORE = "before", _("Before")  # 处置前
    AFTER = "after", _("After")  # 处置后
    OTHER = "other", _("Other")
