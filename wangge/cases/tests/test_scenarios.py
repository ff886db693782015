"""The seeds' stories, end to end through the REST API over real HTTP (one test each)."""

import datetime as dt

import pytest
from django.utils import timezone

from wangge.cases.models import Case, Supervision
from wangge.cases.services import sweep_overdue
from wangge.cases.tests.conftest import GRID, GRID_POINT
from wangge.jobs.services import drain
from wangge.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LON, LAT = GRID_POINT


def actions(timeline):
    return [e["action"] for e in timeline]


def test_seed000_grid_worker_fixes_one_on_the_spot(apis):
    """微循环: found, fixed and closed by the grid worker, with a photo of the result."""
    case = apis["gw"].report(category="0101", description="路口暴露垃圾一堆", lon=LON, lat=LAT,
                             self_handled=True, resolution="已当场清理", photos=1,
                             result_photos=1)
    assert case["status"] == "closed"
    assert case["self_handled"] is True
    assert case["tier"] == "grid"
    assert case["grid_code"] == GRID
    assert {a["kind"] for a in case["attachments"]} == {"before", "after"}
    timeline = apis["gw"].get(f"/cases/{case['number']}/timeline")
    assert actions(timeline) == ["report", "self_handle"]
    assert timeline[1]["to_status"] == "closed"
    # without a photo of the result it is refused, and nothing is created
    error = apis["gw"].report(expect=400, category="0101", description="再次", lon=LON,
                              lat=LAT, self_handled=True, resolution="已清理")
    assert error["code"] == "photo_required"
    assert Case.objects.count() == 1


def test_seed000_community_handles_it_itself(apis, people):
    """小循环: the community accepts and gives it to its own grid worker, then closes it."""
    case = apis["gw"].report(category="0101", description="小区门口垃圾堆积", lon=LON, lat=LAT)
    number = case["number"]
    assert case["status"] == "reported" and case["tier"] == "community"
    assert case["tier_area_code"] == "350583001001"
    assert case["light"] == "green"
    # the community dispatcher sees it in the queue; another community does not
    queue = apis["comm"].get("/cases", params={"status": "reported"})
    assert [c["number"] for c in queue["results"]] == [number]
    assert apis["comm2"].get("/cases")["count"] == 0
    apis["comm2"].get(f"/cases/{number}", expect=404)
    apis["comm"].post(f"/cases/{number}/accept", {"note": "符合立案条件"})
    apis["comm"].post(f"/cases/{number}/dispatch", {"user": "gw2", "note": "请兼职网格员清理"})
    apis["gw2"].post(f"/cases/{number}/sign", {})
    photo = apis["gw2"].upload(number)[0]["id"]
    done = apis["gw2"].post(f"/cases/{number}/feedback",
                            {"note": "已联系保洁清运", "photo_ids": [photo]})
    assert done["status"] == "to_verify"
    apis["gw"].post(f"/cases/{number}/verify", {"passed": True, "note": "现场已干净"})
    closed = apis["comm"].post(f"/cases/{number}/close", {})
    assert closed["status"] == "closed"
    assert all(closed["times"][k] for k in ("accepted", "dispatched", "signed", "handled",
                                            "verified", "closed"))
    timeline = apis["comm"].get(f"/cases/{number}/timeline")
    assert actions(timeline) == ["report", "accept", "dispatch", "sign", "feedback",
                                 "verify_pass", "close"]
    assert timeline[4]["attachments"] == [photo]


def test_seed000_up_to_the_center_rework_then_closed(apis, people):
    """大循环: community → street → district, dispatched to 城管, verification fails, redone."""
    case = apis["gw"].report(category="0101", description="沿街大量建筑垃圾", lon=LON, lat=LAT,
                             photos=1)
    number = case["number"]
    apis["comm"].post(f"/cases/{number}/accept", {})
    up = apis["comm"].post(f"/cases/{number}/escalate", {"note": "社区无清运能力"})
    assert (up["tier"], up["tier_area_code"], up["status"]) == ("street", "350583001000",
                                                                "to_dispatch")
    # the community can no longer act on it; the street can
    apis["comm"].post(f"/cases/{number}/escalate", {"note": "x"}, expect=403)
    up = apis["street"].post(f"/cases/{number}/escalate", {"note": "需区级协调"})
    assert up["tier"] == "district"
    proposal = apis["center"].get(f"/cases/{number}/proposal")
    assert proposal["department"] == "chengguan-350583"
    dispatched = apis["center"].post(f"/cases/{number}/dispatch",
                                     {"department": proposal["department"]})
    assert dispatched["status"] == "dispatched" and dispatched["holder"] == "南安城市管理局"
    # the department handler sees it in "my tasks"
    mine = apis["cg"].get("/cases", params={"holder": "me"})
    assert [c["number"] for c in mine["results"]] == [number]
    apis["cg"].post(f"/cases/{number}/sign", {})
    apis["cg"].post(f"/cases/{number}/feedback", {"note": "已清运"})
    failed = apis["gw"].post(f"/cases/{number}/verify", {"passed": False,
                                                         "note": "仍有残留"})
    assert failed["status"] == "to_dispatch" and failed["rework_count"] == 1
    assert failed["holder"] is None and failed["tier"] == "district"
    apis["center"].post(f"/cases/{number}/dispatch", {"department": "chengguan-350583"})
    apis["cg"].post(f"/cases/{number}/sign", {})
    photo = apis["cg"].upload(number)[0]["id"]
    apis["cg"].post(f"/cases/{number}/feedback", {"note": "彻底清理完毕", "photo_ids": [photo]})
    apis["gw"].post(f"/cases/{number}/verify", {"passed": True})
    apis["center"].post(f"/cases/{number}/close", {"note": "结案"})
    rated = apis["gw"].post(f"/cases/{number}/evaluate", {"satisfaction": "satisfied",
                                                           "note": "处理及时"})
    assert rated["satisfaction"] == "satisfied"
    assert actions(apis["center"].get(f"/cases/{number}/timeline")) == [
        "report", "accept", "escalate", "escalate", "dispatch", "sign", "feedback",
        "verify_fail", "dispatch", "sign", "feedback", "verify_pass", "close", "evaluate"]
    # rating twice is refused
    apis["gw"].post(f"/cases/{number}/evaluate", {"satisfaction": "unsatisfied"}, expect=409)
    # the handler was told, through the outbox and the worker
    drain()
    assert Notification.objects.filter(user=people["cg"], case__number=number,
                                       kind="new_task").count() == 2


def test_seed003_volunteer_report_handled_by_police_in_15_minutes(apis, people):
    """A volunteer reports without an account; the police station handles it at once."""
    case = apis["anonymous"].report(category="1201", description="小区附近有可疑人员徘徊",
                                    lon=LON, lat=LAT, source="resident",
                                    reporter_name="志愿者王阿姨", reporter_phone="13800000000")
    number, token = case["number"], case["tracking_token"]
    assert token and case["status"] == "reported"
    assert case["tier"] == "street"  # 治安隐患 goes to the street's sub-center
    apis["street"].post(f"/cases/{number}/accept", {})
    proposal = apis["street"].get(f"/cases/{number}/proposal")
    assert proposal["department"] == "police-350583001"  # the township's station, not the bureau
    apis["street"].post(f"/cases/{number}/dispatch", {"department": "police-350583001"})
    apis["police"].post(f"/cases/{number}/sign", {})
    apis["police"].post(f"/cases/{number}/feedback", {"note": "民警到场核实，已劝离"})
    apis["gw"].post(f"/cases/{number}/verify", {"passed": True})
    apis["street"].post(f"/cases/{number}/close", {})
    # the volunteer rates it with the secret token, still without logging in
    apis["anonymous"].post(f"/cases/{number}/evaluate", {"satisfaction": "satisfied",
                                                         "token": "wrong"}, expect=404)
    apis["anonymous"].get(f"/cases/{number}", expect=401)  # no reading without login
    rated = apis["anonymous"].post(f"/cases/{number}/evaluate",
                                   {"satisfaction": "satisfied", "token": token})
    assert rated["status"] == "closed" and rated["allowed_actions"] == []
    case = Case.objects.get(number=number)
    assert case.holder_user_id and rated["holder_user"] is None  # not the staff's view
    assert case.handled_at - case.reported_at <= dt.timedelta(minutes=15)
    assert case.satisfaction == "satisfied"
    # the police station sees its own case and nothing else
    assert [c["number"] for c in apis["police"].get("/cases")["results"]] == [number]


def test_emergency_goes_straight_to_the_district(apis):
    case = apis["gw"].report(category="0403", description="闻到浓烈燃气味", lon=LON, lat=LAT)
    assert case["urgency"] == "critical"
    assert case["tier"] == "district" and case["tier_area_code"] == "350583000000"
    # the acceptance limit of a critical case is minutes, not hours
    deadline = dt.datetime.fromisoformat(case["step_deadline"])
    reported = dt.datetime.fromisoformat(case["reported_at"])
    assert deadline - reported <= dt.timedelta(minutes=10)
    assert apis["comm"].get("/cases", params={"status": "reported"})["count"] == 1  # visible
    apis["comm"].post(f"/cases/{case['number']}/accept", {}, expect=403)  # but not its tier
    apis["center"].post(f"/cases/{case['number']}/accept", {})


def test_return_then_redispatch(apis):
    case = apis["gw"].report(category="0101", description="垃圾", lon=LON, lat=LAT)
    number = case["number"]
    apis["comm"].post(f"/cases/{number}/accept", {})
    apis["comm"].post(f"/cases/{number}/dispatch", {"department": "chengguan-350583"})
    apis["cg"].post(f"/cases/{number}/return", {"note": ""}, expect=400)  # reason required
    back = apis["cg"].post(f"/cases/{number}/return", {"note": "不属于城管职责"})
    assert back["status"] == "to_dispatch" and back["return_count"] == 1
    assert back["holder"] is None and back["step"] == "dispatch"
    apis["cg"].post(f"/cases/{number}/sign", {}, expect=409)  # no longer theirs to sign
    apis["comm"].post(f"/cases/{number}/dispatch", {"department": "office-350583001"})


def test_extension_moves_the_deadline(apis):
    case = apis["gw"].report(category="0101", description="垃圾", lon=LON, lat=LAT)
    number = case["number"]
    apis["comm"].post(f"/cases/{number}/accept", {})
    dispatched = apis["comm"].post(f"/cases/{number}/dispatch", {"user": "gw2"})
    before = dt.datetime.fromisoformat(dispatched["step_deadline"])
    apis["gw2"].post(f"/cases/{number}/sign", {})
    asked = apis["gw2"].post(f"/cases/{number}/extensions",
                             {"amount": "1", "unit": "wd", "note": "需等待清运车辆"})
    request_id = asked["pending_extension"]
    assert request_id
    apis["gw2"].post(f"/cases/{number}/extensions", {"amount": "1", "unit": "wd",
                                                     "note": "again"}, expect=409)
    apis["gw2"].post(f"/cases/{number}/extensions/{request_id}/decide",
                     {"approve": True}, expect=403)  # not the holder's decision
    decided = apis["comm"].post(f"/cases/{number}/extensions/{request_id}/decide",
                                {"approve": True, "note": "同意"})
    after = dt.datetime.fromisoformat(decided["step_deadline"])
    assert after > before
    assert decided["extension_count"] == 1 and decided["pending_extension"] is None


def test_a_parked_case_stops_its_clock_and_resumes(apis):
    case = apis["gw"].report(category="0101", description="违章搭建遗留问题", lon=LON, lat=LAT)
    number = case["number"]
    apis["comm"].post(f"/cases/{number}/accept", {})
    until = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    parked = apis["comm"].post(f"/cases/{number}/park", {"until": until,
                                                         "note": "需纳入明年改造计划"})
    assert parked["status"] == "parked" and parked["step_deadline"] is None
    assert parked["light"] == "none" and parked["parked_until"] == until
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    apis["comm"].post(f"/cases/{number}/resume", {}, expect=200)
    resumed = apis["comm"].get(f"/cases/{number}")
    assert resumed["status"] == "to_dispatch" and resumed["step_deadline"]
    apis["comm"].post(f"/cases/{number}/park", {"until": past, "note": "x"}, expect=400)


def test_merge_of_two_duplicates(apis, people):
    first = apis["gw"].report(category="0101", description="路边垃圾", lon=LON, lat=LAT)
    second = apis["gw2"].report(category="0101", description="同一处垃圾",
                                lon=LON + 0.0002, lat=LAT)  # about 20 m east
    assert second["suspected_duplicate_of"] == first["number"]
    far = apis["gw2"].report(category="0101", description="另一处", lon=LON + 0.01, lat=LAT)
    assert far["suspected_duplicate_of"] is None
    merged = apis["comm"].post(f"/cases/{second['number']}/merge",
                               {"master": first["number"], "note": "重复上报"})
    assert merged["status"] == "merged" and merged["duplicate_of"] == first["number"]
    apis["comm"].post(f"/cases/{far['number']}/merge", {"master": far["number"]}, expect=400)
    master = Case.objects.get(number=first["number"])
    assert list(master.followers.values_list("username", flat=True)) == ["gw2"]
    # the merged report's reporter is told when the master closes
    number = first["number"]
    apis["comm"].post(f"/cases/{number}/accept", {})
    apis["comm"].post(f"/cases/{number}/dispatch", {"user": "gw"})
    apis["gw"].post(f"/cases/{number}/sign", {})
    apis["gw"].post(f"/cases/{number}/feedback", {"note": "清理完"})
    apis["gw2"].post(f"/cases/{number}/verify", {"passed": True})
    apis["comm"].post(f"/cases/{number}/close", {})
    drain()
    assert Notification.objects.filter(user=people["gw2"], case=master,
                                       text__contains="closed").exists() or \
        Notification.objects.filter(user=people["gw2"], case=master, kind="update").exists()


def test_an_overdue_step_produces_exactly_one_supervision(apis, people):
    case = apis["gw"].report(category="0101", description="垃圾", lon=LON, lat=LAT)
    number = case["number"]
    deadline = dt.datetime.fromisoformat(case["step_deadline"])
    assert sweep_overdue(now=deadline - dt.timedelta(seconds=1)) == 0
    later = deadline + dt.timedelta(minutes=5)
    assert sweep_overdue(now=later) == 1
    assert sweep_overdue(now=later + dt.timedelta(hours=1)) == 0  # once per step
    supervisions = Supervision.objects.filter(case__number=number)
    assert supervisions.count() == 1
    assert supervisions.get().automatic and supervisions.get().step == "accept"
    timeline = apis["comm"].get(f"/cases/{number}/timeline")
    assert actions(timeline) == ["report", "overdue"]
    drain()
    assert Notification.objects.filter(case__number=number, kind="overdue",
                                       user=people["comm"]).count() == 1
    # the next step gets its own, single supervision when it is late too
    accepted = apis["comm"].post(f"/cases/{number}/accept", {})
    next_deadline = dt.datetime.fromisoformat(accepted["step_deadline"])
    assert sweep_overdue(now=next_deadline + dt.timedelta(minutes=1)) == 1
    assert Supervision.objects.filter(case__number=number).count() == 2
    listed = apis["center"].get("/supervisions")
    assert {s["step"] for s in listed} == {"accept", "dispatch"}
    reply = apis["comm"].post(f"/supervisions/{listed[0]['id']}/reply", {"note": "已加快"})
    assert reply["reply"] == "已加快"
