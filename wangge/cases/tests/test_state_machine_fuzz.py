"""A property test of the case state machine: random people try random actions on a few cases.

For every fixed seed a handful of cases is reported, then for a number of steps a random (or a
"guided", i.e. plausible) action is tried by a random person (sometimes nobody) on a random case,
with a fixed clock that advances 7 minutes per step, sometimes with a stale ``expected_version``
and sometimes with missing or bad arguments. The overdue sweep runs now and then.

After every step the whole database state of the seed's cases is checked:

* a refused action (any ``CaseError``) changes nothing at all;
* a successful action changes exactly the case it was called on (plus the master of a merge),
  adds exactly one timeline entry of the expected kind and bumps the version by exactly one;
* every case is internally consistent (status, step clock, holder, tier area, merge link);
* the timeline explains the case: replaying it gives the current status and tier, every
  transition is one the transition table allows, and the counters match the entries.

The services are called in-process; each seed runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from wangge.cases import services
from wangge.cases.choices import (
    FINAL_STATUSES,
    STEP_OF_STATUS,
    TIER_LEVEL,
    Action,
    LimitUnit,
    Satisfaction,
    Source,
    Status,
    SupervisionLevel,
    Tier,
)
from wangge.cases.models import Case, CaseEvent, ExtensionRequest, Supervision
from wangge.cases.tests.conftest import GRID, GRID_POINT, OTHER_GRID_POINT
from wangge.territory.models import Area

pytestmark = pytest.mark.django_db

SEEDS = range(25)
STEPS = 60
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
TICK = dt.timedelta(minutes=7)
MAX_CASES = 9

NOTES = ["已核实", "请尽快处理", "现场已清理干净", "需要协调相关部门", "重复上报", "不属实",
         "等待材料", "已联系责任人"]
DESCRIPTIONS = ["路口暴露垃圾", "闻到燃气味", "小区有可疑人员", "路灯不亮", "井盖缺失"]
CATEGORIES = ["0101", "0403", "1201"]
# the service functions tried, and the timeline entry a success must write
OPS = ["accept", "reject", "void", "merge", "dispatch", "assign_down", "escalate", "sign",
       "feedback", "return_case", "request_extension", "decide_extension", "park", "resume",
       "verify", "close", "evaluate", "urge", "instruct", "supervise", "reply_supervision"]
# how allowed_actions names the actions (for the guided choices)
OP_OF_ACTION = {
    Action.ACCEPT: "accept", Action.REJECT: "reject", Action.VOID: "void", Action.MERGE: "merge",
    Action.DISPATCH: "dispatch", Action.ASSIGN_DOWN: "assign_down",
    Action.ESCALATE: "escalate", Action.SIGN: "sign", Action.FEEDBACK: "feedback",
    Action.RETURN: "return_case", Action.EXTENSION_REQUEST: "request_extension",
    Action.EXTENSION_APPROVE: "decide_extension", Action.EXTENSION_REFUSE: "decide_extension",
    Action.PARK: "park", Action.RESUME: "resume", Action.VERIFY_PASS: "verify",
    Action.VERIFY_FAIL: "verify", Action.CLOSE: "close", Action.EVALUATE: "evaluate",
    Action.URGE: "urge", Action.INSTRUCT: "instruct", Action.SUPERVISE: "supervise",
}
# guided choices: ending a case early is possible, but rarer than moving it on
GUIDED_WEIGHT = {Action.REJECT: 0.1, Action.VOID: 0.1, Action.MERGE: 0.2, Action.PARK: 0.3,
                 Action.VERIFY_FAIL: 0.4, Action.ESCALATE: 0.5, Action.ASSIGN_DOWN: 0.5,
                 Action.URGE: 0.2, Action.INSTRUCT: 0.2, Action.SUPERVISE: 0.2,
                 Action.SIGN: 2.0, Action.FEEDBACK: 2.0, Action.VERIFY_PASS: 2.0,
                 Action.CLOSE: 2.0, Action.EVALUATE: 2.0}
# timeline entries that are not a user's action on the case itself: they do not bump the version
SIDE_EVENTS = {Action.REPORT, Action.DUPLICATE_FLAG, Action.MERGED_IN, Action.OVERDUE}
# entries that need a reason: a blank note must have been refused
REASON_REQUIRED = {Action.REJECT, Action.VOID, Action.ESCALATE, Action.FEEDBACK, Action.RETURN,
                   Action.EXTENSION_REQUEST, Action.PARK, Action.VERIFY_FAIL, Action.INSTRUCT,
                   Action.SUPERVISE, Action.SUPERVISION_REPLY}
CASE_FIELDS = [f.attname for f in Case._meta.concrete_fields if f.attname != "updated_at"]


class Stop(Exception):
    """The chosen action has nothing to act on (no extension request, no supervision)."""


class Fuzzer:
    def __init__(self, seed: int, people: dict, areas: dict[int, Area]):
        self.seed = seed
        self.rng = random.Random(seed)
        self.people = people
        self.users = [u for name, u in people.items() if name != "departments"]
        self.departments = sorted(people["departments"])
        self.areas = areas
        self.now = START
        self.step = -1
        self.stats: Counter = Counter()

    # --- choosing ------------------------------------------------------------------------

    def note(self, required=True) -> str:
        roll = self.rng.random()
        if roll < 0.12:
            return self.rng.choice(["", "   "])
        if not required and roll < 0.3:
            return ""
        return self.rng.choice(NOTES)

    def version(self, case: Case) -> tuple[int | None, bool]:
        """The expected_version to pass, and whether it is stale."""
        roll = self.rng.random()
        if roll < 0.08 and case.version > 1:
            return self.rng.randint(1, case.version - 1), True
        if roll < 0.11:
            return case.version + 1, True
        if roll < 0.4:
            return case.version, False
        return None, False

    def case_ref(self, case: Case):
        return self.rng.choice([case, case.number, case.pk])

    def dispatch_target(self, guided: bool) -> dict:
        good = ["chengguan-350583", "police-350583001"]
        if guided and self.rng.random() < 0.75:
            if self.rng.random() < 0.5:
                return {"department": self.rng.choice(good)}
            return {"user": self.rng.choice(["gw", "gw2", "cg", "police"])}
        roll = self.rng.random()
        if roll < 0.45:
            department = self.rng.choice(self.departments)
            return {"department": self.rng.choice(
                [department, department, self.people["departments"][department]])}
        if roll < 0.85:
            user = self.rng.choice(self.users)
            return {"user": self.rng.choice([user.username, user.username, user])}
        return self.rng.choice([{}, {"department": "no-such-unit"}, {"user": "no-such-user"},
                                {"department": "chengguan-350583", "user": "gw"}])

    def report_kwargs(self) -> dict:
        rng = self.rng
        actor = rng.choice([self.people["gw"], self.people["gw2"], None, None,
                            self.people["center"], self.people["comm2"]])
        lon, lat = GRID_POINT if rng.random() < 0.85 else OTHER_GRID_POINT
        if rng.random() < 0.04:
            lon, lat = 100.0, 30.0  # outside the territory
        kwargs = {
            "actor": actor, "category": rng.choice(CATEGORIES),
            "description": rng.choice(DESCRIPTIONS) if rng.random() < 0.93 else " ",
            "source": Source.RESIDENT if actor is None else rng.choice(
                [Source.PATROL, Source.PATROL, Source.HOTLINE]),
            "lon": lon + rng.uniform(-0.0004, 0.0004), "lat": lat + rng.uniform(-0.0004, 0.0004),
        }
        if actor is None:
            kwargs["reporter_name"] = "志愿者"
        return kwargs

    def build(self, op: str, case: Case, actor, guided: bool, others: list[Case]):
        """The service function, its arguments, the timeline entry a success writes, and whether
        the expected_version passed is stale."""
        rng = self.rng
        expected, stale = self.version(case)
        kwargs = {"actor": actor, "case": self.case_ref(case), "now": self.now,
                  "expected_version": expected}
        function = getattr(services, op)
        event = {
            "accept": Action.ACCEPT, "reject": Action.REJECT, "void": Action.VOID,
            "merge": Action.MERGE, "dispatch": Action.DISPATCH,
            "assign_down": Action.ASSIGN_DOWN, "escalate": Action.ESCALATE, "sign": Action.SIGN,
            "feedback": Action.FEEDBACK, "return_case": Action.RETURN,
            "request_extension": Action.EXTENSION_REQUEST, "park": Action.PARK,
            "resume": Action.RESUME, "close": Action.CLOSE, "evaluate": Action.EVALUATE,
            "urge": Action.URGE, "instruct": Action.INSTRUCT, "supervise": Action.SUPERVISE,
            "reply_supervision": Action.SUPERVISION_REPLY,
        }.get(op)
        if op in ("accept", "sign", "resume", "close", "urge", "merge", "dispatch",
                  "assign_down"):
            kwargs["note"] = self.note(required=False)
        elif op in ("reject", "void", "escalate", "feedback", "return_case", "instruct"):
            kwargs["note"] = self.note()
        if op == "merge":
            roll = rng.random()
            if roll < 0.08:
                master = case
            elif roll < 0.12:
                master = "000000000000"
            else:
                master = rng.choice(others) if others else case
            kwargs["master"] = master.number if isinstance(master, Case) and rng.random() < 0.5 \
                else master
        elif op == "dispatch":
            kwargs.update(self.dispatch_target(guided))
        elif op == "assign_down":
            tiers = [Tier.COMMUNITY, Tier.STREET] if guided else [*Tier.values, "nowhere"]
            kwargs["tier"] = rng.choice(tiers)
        elif op == "request_extension":
            kwargs["note"] = self.note()
            kwargs["amount"] = rng.choice(["1", "2", 0.5, Decimal("4"), "0", "-1", "abc", "nan",
                                           "5000"] if not guided else ["1", "2", 0.5])
            kwargs["unit"] = rng.choice([*LimitUnit.values, "xx"] if not guided
                                        else LimitUnit.values)
        elif op == "decide_extension":
            requests = list(ExtensionRequest.objects.filter(case=case).order_by("-id"))
            if not requests:
                raise Stop
            pending = [r for r in requests if r.state == ExtensionRequest.State.PENDING]
            request = pending[0] if pending and rng.random() < 0.9 else rng.choice(requests)
            approve = rng.random() < 0.6
            del kwargs["case"]
            kwargs.update(request=rng.choice([request, request.pk]), approve=approve,
                          note=self.note(required=False))
            event = Action.EXTENSION_APPROVE if approve else Action.EXTENSION_REFUSE
        elif op == "park":
            kwargs["note"] = self.note()
            today = timezone.localdate(self.now)
            kwargs["until"] = rng.choice(
                [today + dt.timedelta(days=10)] * 6 + [today, (today + dt.timedelta(days=3))
                                                       .isoformat()])
        elif op == "verify":
            passed = rng.random() < (0.75 if guided else 0.5)
            kwargs.update(passed=passed, note=self.note(required=passed))
            event = Action.VERIFY_PASS if passed else Action.VERIFY_FAIL
        elif op == "evaluate":
            kwargs["satisfaction"] = rng.choice([*Satisfaction.values, "meh"] if not guided
                                                else Satisfaction.values)
            kwargs["comment"] = self.note(required=False)
            if actor is None and rng.random() < 0.7:
                kwargs["token"] = case.tracking_token if rng.random() < 0.8 else "wrong"
        elif op == "supervise":
            kwargs["note"] = self.note()
            kwargs["level"] = rng.choice([*SupervisionLevel.values, "purple"])
        elif op == "reply_supervision":
            supervisions = list(Supervision.objects.filter(case=case).order_by("id"))
            if not supervisions:
                raise Stop
            open_ones = [s for s in supervisions if not s.replied_at]
            supervision = rng.choice(open_ones if open_ones and rng.random() < 0.85
                                     else supervisions)
            kwargs = {"actor": actor, "supervision": rng.choice([supervision, supervision.pk]),
                      "note": self.note(), "now": self.now}
            stale = False  # it takes no expected_version
        return function, kwargs, event, stale

    def guided_choice(self, cases: list[Case]):
        """An action the UI would offer someone on a random case, and one of those people."""
        rng = self.rng
        open_cases = [c for c in cases if c.status not in FINAL_STATUSES] or cases
        case = rng.choice(open_cases if rng.random() < 0.9 else cases)
        offering = defaultdict(list)
        for user in self.users:
            for action in services.allowed_actions(case, user):
                offering[action].append(user)
        if not offering:
            return case, rng.choice(self.users), rng.choice(OPS)
        actions = sorted(offering)
        action = rng.choices(actions, [GUIDED_WEIGHT.get(a, 1.0) for a in actions])[0]
        return case, rng.choice(offering[action]), OP_OF_ACTION[action]

    # --- the database state ------------------------------------------------------------------

    def snapshot(self) -> dict:
        events = defaultdict(list)
        for case_id, event_id, action in CaseEvent.objects.order_by("id").values_list(
                "case_id", "id", "action"):
            events[case_id].append((event_id, action))
        return {
            "cases": {row["id"]: row for row in Case.objects.values(*CASE_FIELDS)},
            "events": dict(events),
            "supervisions": {s[0]: s for s in Supervision.objects.values_list(
                "id", "case_id", "automatic", "step_seq", "level", "replied_at")},
            "extensions": {e[0]: e for e in ExtensionRequest.objects.values_list(
                "id", "case_id", "state", "new_deadline")},
            "followers": set(Case.followers.through.objects.values_list("case_id", "user_id")),
        }

    # --- one step ----------------------------------------------------------------------------

    def context(self, op, case=None, actor=None, kwargs=None) -> str:
        shown = {k: (str(v) if not isinstance(v, str | int | bool | None) else v)
                 for k, v in (kwargs or {}).items() if k not in ("actor", "now")}
        return (f"seed={self.seed} step={self.step} now={self.now:%m-%d %H:%M} op={op} "
                f"case={getattr(case, 'number', case)} "
                f"status={getattr(case, 'status', None)} tier={getattr(case, 'tier', None)} "
                f"actor={getattr(actor, 'username', None)} args={shown}")

    def do_report(self, kwargs: dict, before: dict | None = None) -> Case | None:
        before = before or self.snapshot()
        ctx = self.context("report", None, kwargs.get("actor"), kwargs)
        self.stats["attempts"] += 1
        try:
            case = services.report(now=self.now, **kwargs)
        except services.CaseError:
            assert self.snapshot() == before, f"refused report changed something: {ctx}"
            self.stats["refused report"] += 1
            return None
        self.stats["successes"] += 1
        self.stats["ok report"] += 1
        after = self.snapshot()
        assert set(after["cases"]) == set(before["cases"]) | {case.pk}, ctx
        new = after["events"][case.pk]
        assert [a for _, a in new] in ([Action.REPORT], [Action.REPORT, Action.DUPLICATE_FLAG]), \
            (ctx, new)
        assert after["cases"][case.pk]["version"] == 1, ctx
        for pk in before["cases"]:
            assert after["cases"][pk] == before["cases"][pk], ctx
            assert after["events"].get(pk) == before["events"].get(pk), ctx
        for key in ("supervisions", "extensions", "followers"):
            assert after[key] == before[key], ctx
        return case

    def do_sweep(self):
        before = self.snapshot()
        flagged = services.sweep_overdue(now=self.now)
        self.stats["sweeps"] += 1
        self.stats["flagged"] += flagged
        after = self.snapshot()
        ctx = self.context("sweep_overdue")
        new_events = 0
        for pk, row in after["cases"].items():
            old = before["cases"][pk]
            added = after["events"].get(pk, [])[len(before["events"].get(pk, [])):]
            assert after["events"].get(pk, [])[:len(before["events"].get(pk, []))] == \
                before["events"].get(pk, []), ctx
            assert [a for _, a in added] in ([], [Action.OVERDUE]), (ctx, added)
            changed = {k for k in row if row[k] != old[k]}
            if added:
                new_events += 1
                # the sweep only marks the step as supervised; it is not a user's change, so the
                # version stays (a form opened before the sweep is still current)
                assert changed == {"overdue_seq"}, (ctx, changed)
                assert row["overdue_seq"] == row["step_seq"], ctx
                assert old["step_deadline"] < self.now, ctx
                assert old["status"] != Status.PARKED, ctx
            else:
                assert not changed, (ctx, changed)
        assert new_events == flagged, ctx
        new_supervisions = set(after["supervisions"]) - set(before["supervisions"])
        assert len(new_supervisions) == flagged, ctx
        assert all(after["supervisions"][s][2] for s in new_supervisions), ctx
        assert after["extensions"] == before["extensions"], ctx

    def do_action(self, op, case, actor, guided, cases):
        others = [c for c in cases if c.pk != case.pk]
        try:
            function, kwargs, event, stale = self.build(op, case, actor, guided, others)
        except Stop:
            self.stats["nothing to act on"] += 1
            return
        ctx = self.context(op, case, actor, kwargs)
        before = self.snapshot()
        offered = services.allowed_actions(case, actor) if actor is not None else None
        self.stats["attempts"] += 1
        self.stats[f"try {op}"] += 1
        try:
            function(**kwargs)
        except services.CaseError as error:
            assert self.snapshot() == before, f"a refusal changed something: {ctx}: {error}"
            self.stats[f"refused {type(error).__name__}"] += 1
            return
        except Exception as error:  # a crash instead of a refusal: report where it happened
            raise AssertionError(f"{type(error).__name__} {error}: {ctx}") from error
        self.stats["successes"] += 1
        self.stats[f"ok {op}"] += 1
        # a stale form is always refused
        assert not stale, f"a stale expected_version was accepted: {ctx}"
        # what the UI offers is a superset of what the services allow
        if offered is not None and event != Action.SUPERVISION_REPLY:
            assert event in offered, f"{event} succeeded but allowed_actions={offered}: {ctx}"
        after = self.snapshot()
        self.check_effect(op, case, event, kwargs, before, after, ctx)

    def check_effect(self, op, case, event, kwargs, before, after, ctx):
        """Exactly the acted-on case changed, by one timeline entry and one version."""
        assert set(after["cases"]) == set(before["cases"]), ctx
        master_pk = None
        if op == "merge":
            master_pk = after["cases"][case.pk]["duplicate_of_id"]
        for pk, row in after["cases"].items():
            old_events = before["events"].get(pk, [])
            new_events = after["events"].get(pk, [])
            assert new_events[:len(old_events)] == old_events, ctx
            added = [a for _, a in new_events[len(old_events):]]
            if pk == case.pk:
                assert added == [event], (ctx, added)
                assert row["version"] == before["cases"][pk]["version"] + 1, ctx
                old_status = before["cases"][pk]["status"]
                assert old_status in services.TRANSITIONS[event], ctx
                if event == Action.RESUME:
                    assert row["status"] == before["cases"][pk]["parked_from"], ctx
                else:
                    assert row["status"] == services.TARGET.get(event, old_status), ctx
            elif pk == master_pk:
                # the master of a merge only gets a note on its timeline (and a follower)
                assert added == [Action.MERGED_IN], (ctx, added)
                assert row == before["cases"][pk], ctx
            else:
                assert not added, (ctx, pk, added)
                assert row == before["cases"][pk], (ctx, pk)
        new_supervisions = set(after["supervisions"]) - set(before["supervisions"])
        assert len(new_supervisions) == (op == "supervise"), ctx
        changed_supervisions = {s for s in before["supervisions"]
                                if after["supervisions"][s] != before["supervisions"][s]}
        assert len(changed_supervisions) == (op == "reply_supervision"), ctx
        new_requests = set(after["extensions"]) - set(before["extensions"])
        assert len(new_requests) == (op == "request_extension"), ctx
        changed = {e for e in before["extensions"]
                   if after["extensions"][e] != before["extensions"][e]}
        # a pending request is withdrawn when the step it was made in ends; only a decision
        # changes it otherwise
        withdrawn = {e for e in changed
                     if after["extensions"][e][2] == ExtensionRequest.State.WITHDRAWN}
        assert all(before["extensions"][e][2] == ExtensionRequest.State.PENDING
                   for e in withdrawn), ctx
        decided = changed - withdrawn
        assert len(decided) == (op == "decide_extension"), ctx
        if withdrawn:
            after_case = Case.objects.get(pk=next(iter(after["extensions"][e][1]
                                                       for e in withdrawn)))
            assert after_case.status not in (Status.DISPATCHED, Status.IN_PROGRESS) or \
                op in ("dispatch",), ctx
        if op != "merge":
            assert after["followers"] == before["followers"], ctx

    def run(self):
        rng = self.rng
        gw, gw2 = self.people["gw"], self.people["gw2"]
        lon, lat = GRID_POINT
        first = [
            {"actor": gw, "category": "0101", "description": "路口暴露垃圾", "lon": lon,
             "lat": lat, "source": Source.PATROL},
            {"actor": gw2, "category": "0101", "description": "同一处垃圾",
             "lon": lon + 0.0002, "lat": lat, "source": Source.PATROL},  # a duplicate
            {"actor": gw, "category": "0403", "description": "闻到燃气味", "lon": lon,
             "lat": lat + 0.001, "source": Source.PATROL},
            {"actor": None, "category": "1201", "description": "可疑人员", "lon": lon - 0.001,
             "lat": lat, "source": Source.RESIDENT, "reporter_name": "志愿者王阿姨"},
        ]
        for kwargs in first[: rng.choice([3, 4, 4])]:
            assert self.do_report(kwargs) is not None
        self.check_all()
        for step in range(STEPS):
            self.step = step
            self.now = START + TICK * (step + 1)
            cases = list(Case.objects.order_by("id"))
            open_cases = [c for c in cases if c.status not in FINAL_STATUSES]
            roll = rng.random()
            if len(cases) < MAX_CASES and (len(open_cases) < 2 or roll < 0.04):
                self.do_report(self.report_kwargs())
            elif roll < 0.1:
                self.do_sweep()
            elif roll < 0.7:
                case, actor, op = self.guided_choice(cases)
                self.do_action(op, case, actor, True, cases)
            else:
                case = rng.choice(cases)
                actor = rng.choice([*self.users, None])
                self.do_action(rng.choice(OPS), case, actor, False, cases)
            self.check_all()
        self.stats["closed"] += Case.objects.filter(status=Status.CLOSED).count()
        for status in Case.objects.values_list("status", flat=True):
            self.stats[f"ended {status}"] += 1

    # --- invariants ----------------------------------------------------------------------------

    def ancestor(self, area_id: int, level: int) -> int | None:
        area = self.areas[area_id]
        while area is not None and area.level > level:
            area = self.areas.get(area.parent_id)
        return area.pk if area is not None else None

    def check_all(self):
        events = defaultdict(list)
        for event in CaseEvent.objects.order_by("id"):
            events[event.case_id].append(event)
        supervisions = defaultdict(list)
        for supervision in Supervision.objects.all():
            supervisions[supervision.case_id].append(supervision)
        extensions = defaultdict(list)
        for request in ExtensionRequest.objects.all():
            extensions[request.case_id].append(request)
        for case in Case.objects.all():
            where = f"seed={self.seed} step={self.step} case={case.number} status={case.status}"
            try:
                self.check_case(case, events[case.pk], supervisions[case.pk],
                                extensions[case.pk])
            except AssertionError as error:
                raise AssertionError(f"{where}: {error}") from error

    def check_case(self, case: Case, events, supervisions, extensions):
        status = case.status
        assert status in Status.values
        # the clock
        if status in FINAL_STATUSES:
            assert case.step_deadline is None and case.step == ""
            assert case.step_started_at is None and case.step_warn_at is None
        elif status == Status.PARKED:
            assert case.parked_until is not None
            assert case.parked_from in (Status.TO_DISPATCH, Status.DISPATCHED,
                                        Status.IN_PROGRESS)
            assert case.step_deadline is None and case.step == ""
        else:
            assert case.step == STEP_OF_STATUS[Status(status)], case.step
            assert case.step_started_at is not None and case.step_deadline is not None
            assert case.step_started_at <= self.now
            assert case.step_started_at <= case.step_deadline, (case.step_started_at,
                                                                case.step_deadline)
            assert case.step_warn_at is not None
            assert case.step_started_at <= case.step_warn_at <= case.step_deadline
            assert getattr(case, f"{case.step}_deadline") == case.step_deadline
        if status != Status.PARKED:
            assert case.parked_until is None and case.parked_from == ""
        assert case.overdue_seq <= case.step_seq
        assert (case.closed_at is not None) == (status == Status.CLOSED)
        # who holds it
        has_holder = case.holder_department_id is not None or case.holder_user_id is not None
        if status in (Status.DISPATCHED, Status.IN_PROGRESS) or (
                status == Status.PARKED and case.parked_from != Status.TO_DISPATCH):
            assert has_holder
        if status in (Status.TO_DISPATCH, Status.REPORTED) or (
                status == Status.PARKED and case.parked_from == Status.TO_DISPATCH):
            assert not has_holder
        if status == Status.IN_PROGRESS:
            assert case.holder_user_id is not None and case.signed_at is not None
        if status == Status.DISPATCHED:
            assert case.signed_at is None and case.dispatched_at is not None
        # where it is handled
        assert case.tier in Tier.values
        assert case.tier_area_id == self.ancestor(case.grid_id, TIER_LEVEL[Tier(case.tier)])
        # merging
        if status == Status.MERGED:
            assert case.duplicate_of_id is not None and case.duplicate_of_id != case.pk
        else:
            assert case.duplicate_of_id is None
        self.check_timeline(case, events)
        # supervisions: one automatic per overdue entry, and at most one per step
        automatic = [s for s in supervisions if s.automatic]
        seqs = Counter(s.step_seq for s in automatic)
        assert all(n == 1 for n in seqs.values()), seqs
        assert all(s.step_seq <= case.overdue_seq for s in automatic)
        actions = Counter(e.action for e in events)
        assert len(automatic) == actions[Action.OVERDUE]
        assert len(supervisions) - len(automatic) == actions[Action.SUPERVISE]
        assert sum(bool(s.replied_at) for s in supervisions) == actions[Action.SUPERVISION_REPLY]
        # extension requests
        states = Counter(r.state for r in extensions)
        assert states[ExtensionRequest.State.PENDING] <= 1, states
        if states[ExtensionRequest.State.PENDING]:
            assert case.status in (Status.DISPATCHED, Status.IN_PROGRESS), (case.number, states)
        assert len(extensions) == actions[Action.EXTENSION_REQUEST]
        assert states[ExtensionRequest.State.APPROVED] == actions[Action.EXTENSION_APPROVE]
        assert states[ExtensionRequest.State.REFUSED] == actions[Action.EXTENSION_REFUSE]

    def check_timeline(self, case: Case, events: list[CaseEvent]):
        """Replaying the timeline gives the case's status, tier, counters and version."""
        assert events, "no timeline"
        first = events[0]
        assert first.action == Action.REPORT, first.action
        assert first.from_status == "" and first.to_status == Status.REPORTED
        status, tier, at = first.to_status, first.to_tier, first.at
        parked_from = None
        for index, event in enumerate(events[1:], start=1):
            what = f"event #{index} {event.action} {event.from_status}->{event.to_status}"
            assert event.action not in (Action.REPORT, Action.SELF_HANDLE), what
            assert event.at >= at, what
            if event.action in REASON_REQUIRED:
                assert event.note.strip(), f"{what} without a reason"
            at = event.at
            if event.action == Action.DUPLICATE_FLAG:
                # written by report right after the report entry, without a from_status
                assert index == 1 and event.from_status == "", what
                assert event.to_status == status, what
            else:
                assert event.from_status == status, f"{what}, but the status was {status}"
            if event.action in services.TRANSITIONS:
                assert event.from_status in services.TRANSITIONS[event.action], what
            if event.action in services.TARGET:
                assert event.to_status == services.TARGET[event.action], what
            elif event.action == Action.RESUME:
                assert event.to_status == parked_from, f"{what}, parked from {parked_from}"
            else:
                assert event.to_status == status, what
            if event.action == Action.OVERDUE:
                assert status not in FINAL_STATUSES and status != Status.PARKED, what
            if event.action == Action.MERGED_IN:
                assert status not in FINAL_STATUSES, what
            if event.action == Action.PARK:
                parked_from = event.from_status
            if event.action in (Action.ESCALATE, Action.ASSIGN_DOWN):
                assert event.from_tier == tier, what
            else:
                assert event.to_tier == tier, f"{what}: tier {tier} -> {event.to_tier}"
            status, tier = event.to_status, event.to_tier
        assert status == case.status, f"the timeline ends at {status}"
        assert tier == case.tier, f"the timeline ends at tier {tier}"
        actions = Counter(e.action for e in events)
        assert case.escalation_count == actions[Action.ESCALATE]
        assert case.return_count == actions[Action.RETURN]
        assert case.rework_count == actions[Action.VERIFY_FAIL]
        assert case.extension_count == actions[Action.EXTENSION_APPROVE]
        assert actions[Action.EVALUATE] <= 1
        assert (case.evaluated_at is not None) == (actions[Action.EVALUATE] == 1)
        assert actions[Action.MERGE] == (case.status == Status.MERGED)
        # every user action bumps the version by one; the side entries do not
        own = sum(n for action, n in actions.items() if action not in SIDE_EVENTS)
        assert case.version == 1 + own, (case.version, own)


def test_random_walks_keep_the_case_state_machine_consistent(people, territory):
    areas = {area.pk: area for area in Area.objects.all()}
    assert GRID in territory
    totals: Counter = Counter()
    for seed in SEEDS:
        with transaction.atomic():
            fuzzer = Fuzzer(seed, people, areas)
            fuzzer.run()
            totals.update(fuzzer.stats)
            transaction.set_rollback(True)
    print(sorted(totals.items()))  # shown with pytest -s
    # the walk did something: many actions went through, and cases got to the end
    assert totals["successes"] > 0.3 * totals["attempts"], totals
    assert totals["closed"] >= 1, totals
    assert totals["flagged"] >= 1, totals
    for op in ("accept", "dispatch", "sign", "feedback", "verify", "close", "escalate",
               "return_case", "park", "resume", "request_extension", "decide_extension",
               "merge", "supervise"):
        assert totals[f"ok {op}"] >= 1, (op, totals)
    assert totals["refused Conflict"] >= 1 and totals["refused Forbidden"] >= 1, totals
    assert totals["refused InvalidTransition"] >= 1, totals
