"""Schemes, scoring and grades, publishing, plus/minus items, appeals and rankings."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from wangge.evaluation import indicators as ind
from wangge.evaluation import selectors, services
from wangge.evaluation.models import Appeal, Evaluation, LogEntry, Result, Scheme
from wangge.evaluation.services import EvaluationError

pytestmark = pytest.mark.django_db

COUNTY = "350583000000"
MARCH = dt.date(2026, 3, 15)


def scheme(territory, kind, weights, **extra):
    s = Scheme(name=f"{kind} scheme", target_kind=kind, area=territory[COUNTY], weights=weights,
               **extra)
    s.full_clean()
    s.save()
    return s


def test_scheme_validation(territory):
    with pytest.raises(ValidationError, match="add up to 90"):
        scheme(territory, "dispatcher", {"on_time_acceptance": 50, "accurate_acceptance": 40})
    with pytest.raises(ValidationError, match="Unknown indicators"):
        scheme(territory, "dispatcher", {"closure_rate": 100})
    with pytest.raises(ValidationError):
        scheme(territory, "dispatcher", {"on_time_acceptance": 100}, grades={"A": 120})
    s = scheme(territory, "dispatcher", {"on_time_acceptance": 60, "accurate_acceptance": 40})
    assert s.grade_thresholds() == [("A", 90), ("B", 75), ("C", 60), ("D", 40)]


def test_grades():
    grades = {"A": 90, "B": 75, "C": 60, "D": 40}
    assert [services.grade_for(s, grades) for s in (100, 90, 89.99, 75, 60, 40, 39.9, None)] == \
        ["A", "A", "B", "B", "C", "D", "E", ""]


def test_score_values_volume_band_and_count_targets():
    snap = {"weights": {"valid_report_rate": 50, "reports": 30, "on_time_verification": 20},
            "min_volume": {"on_time_verification": 3}, "default_min_volume": 2,
            "targets": {"reports": 20}, "grades": {"A": 90}}
    values = {"valid_report_rate": ind.Value(3, 4, 0.75), "reports": ind.Value(5, None, 5),
              "on_time_verification": ind.Value(2, 2, 1.0)}
    rows, base = services.score_values(values, snap)
    # valid 75 → 37.5 points of 50; reports 5/20 → 25 → 7.5 of 30; verification: 2 < 3, not
    # scored, its 20 shared out: (37.5 + 7.5) × 100 / 80 = 56.25
    assert rows["valid_report_rate"]["points"] == 37.5
    assert rows["reports"]["score"] == 25 and rows["reports"]["points"] == 7.5
    assert rows["on_time_verification"]["below_volume"] and not rows[
        "on_time_verification"]["scored"]
    assert base == pytest.approx(56.25)
    # nothing scored → no score
    rows, base = services.score_values({}, {**snap, "weights": {"valid_report_rate": 100}})
    assert base is None


def test_compute_publish_freeze(march, people, territory):
    s = scheme(territory, "department", {"closure_rate": 50, "on_time_handling": 50},
               default_min_volume=1)
    evaluation = services.compute(actor=people["center"], scheme=s, period_kind="month",
                                  day=MARCH)
    assert (evaluation.start, evaluation.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    cg = evaluation.results.get(department=people["departments"]["chengguan-350583"])
    # closure 4/5 = 80 → 40 points; on-time handling 3/5 = 60 → 30; total 70 → C
    assert (cg.base_score, cg.score, cg.grade) == (70.0, 70.0, "C")
    assert cg.indicators["closure_rate"]["num"] == 4 and cg.indicators["closure_rate"]["den"] == 5
    # 加分 on a draft, with a reason; survives recomputing the draft
    services.add_adjustment(actor=people["center"], result=cg, points=6, reason="专项整治表现突出")
    cg.refresh_from_db()
    assert (cg.adjustment, cg.score, cg.grade) == (6, 76.0, "B")
    with pytest.raises(EvaluationError):
        services.add_adjustment(actor=people["center"], result=cg, points=-3, reason="")
    with pytest.raises(EvaluationError):  # not a supervisor
        services.add_adjustment(actor=people["gw"], result=cg, points=-3, reason="迟报")
    evaluation = services.compute(actor=people["center"], scheme=s, period_kind="month",
                                  day=MARCH)
    cg = evaluation.results.get(department=people["departments"]["chengguan-350583"])
    assert (cg.adjustment, cg.score) == (6, 76.0)
    # published: frozen — neither recomputed nor adjusted; the scheme's later edits do nothing
    services.publish(actor=people["center"], evaluation=evaluation)
    s.weights = {"closure_rate": 100}
    s.save()
    with pytest.raises(EvaluationError, match="frozen"):
        services.compute(actor=people["center"], scheme=s, period_kind="month", day=MARCH)
    with pytest.raises(EvaluationError, match="frozen"):
        services.add_adjustment(actor=people["center"], result=cg, points=1, reason="x")
    cg.refresh_from_db()
    assert cg.score == 76.0
    assert list(LogEntry.objects.values_list("action", flat=True)) == [
        "compute", "adjust", "compute", "publish"]


def test_periods():
    assert services.period_bounds("quarter", dt.date(2026, 5, 9)) == (dt.date(2026, 4, 1),
                                                                     dt.date(2026, 6, 30))
    assert services.period_bounds("year", dt.date(2026, 5, 9)) == (dt.date(2026, 1, 1),
                                                                  dt.date(2026, 12, 31))
    assert services.period_bounds("month", dt.date(2026, 12, 9)) == (dt.date(2026, 12, 1),
                                                                    dt.date(2026, 12, 31))
    assert services.previous_period("quarter", dt.date(2026, 1, 1)) == (dt.date(2025, 10, 1),
                                                                       dt.date(2025, 12, 31))


def test_appeal_recomputes_only_the_affected_target(march, people, territory):
    dept = scheme(territory, "department", {"closure_rate": 50, "on_time_handling": 50},
                  default_min_volume=1)
    area = scheme(territory, "area", {"area_closure_rate": 100}, default_min_volume=1)
    evaluation = services.compute(actor=people["center"], scheme=dept, period_kind="month",
                                  day=MARCH)
    areas = services.compute(actor=people["center"], scheme=area, period_kind="month", day=MARCH)
    cg_dept = people["departments"]["chengguan-350583"]
    cg = evaluation.results.get(department=cg_dept)
    others = {r.pk: (r.score, r.indicators) for r in Result.objects.exclude(pk=cg.pk)}
    with pytest.raises(EvaluationError, match="published"):
        services.file_appeal(actor=people["cg"], result=cg, reason="x", case_numbers=[])
    services.publish(actor=people["center"], evaluation=evaluation)
    services.publish(actor=people["center"], evaluation=areas)
    with pytest.raises(EvaluationError):  # not cg's own result
        services.file_appeal(actor=people["police"], result=cg, reason="x")
    with pytest.raises(EvaluationError, match="Unknown case"):
        services.file_appeal(actor=people["cg"], result=cg, reason="x", case_numbers=["X1"])
    d = march["D"].number
    appeal = services.file_appeal(actor=people["cg"], result=cg,
                                  reason="D 派错单位, 权属不在我局", case_numbers=[d])
    with pytest.raises(EvaluationError):  # the filer cannot decide, nor a worker
        services.decide_appeal(actor=people["gw"], appeal=appeal, accept=True)
    with pytest.raises(EvaluationError):  # a rejection needs its reason
        services.decide_appeal(actor=people["center"], appeal=appeal, accept=False)
    services.decide_appeal(actor=people["center"], appeal=appeal, accept=True, note="属实")
    appeal.refresh_from_db()
    cg.refresh_from_db()
    # without D: closure 4/4 = 100 → 50; on time 3/4 = 75 → 37.5; 87.5 (was 70)
    assert (appeal.state, appeal.score_before, appeal.score_after) == ("accepted", 70.0, 87.5)
    assert (cg.score, cg.grade, cg.excluded_cases) == (87.5, "B", [march["D"].pk])
    assert cg.indicators["closure_rate"]["den"] == 4
    # every other result — other departments and the areas D lies in — is untouched
    assert {r.pk: (r.score, r.indicators) for r in Result.objects.exclude(pk=cg.pk)} == others
    # a rejected appeal changes nothing
    second = services.file_appeal(actor=people["cg"], result=cg, reason="再议", case_numbers=[
        march["B"].number])
    services.decide_appeal(actor=people["center"], appeal=second, accept=False, note="超时属实")
    cg.refresh_from_db()
    assert cg.score == 87.5
    assert Appeal.objects.get(pk=second.pk).score_after == 87.5
    assert LogEntry.objects.filter(action__startswith="appeal").count() == 4


def test_rankings_with_trend(march, people, territory):
    s = scheme(territory, "dispatcher", {"on_time_acceptance": 100}, default_min_volume=1)
    feb = services.compute(actor=None, scheme=s, period_kind="month", day=dt.date(2026, 2, 10))
    mar = services.compute(actor=None, scheme=s, period_kind="month", day=MARCH)
    comm, comm2 = people["comm"].pk, people["comm2"].pk
    # February: comm accepted I on time (100), comm2 nothing (no score)
    feb_rows = selectors.ranking(feb, feb.results.all())
    assert [(r["target_key"], r["rank"], r["score"]) for r in feb_rows] == [(comm, 1, 100.0)]
    # March: comm2 100 (J), comm 5/6 = 83.33
    rows = selectors.ranking(mar, mar.results.all())
    assert [(r["target_key"], r["rank"]) for r in rows] == [(comm2, 1), (comm, 2)]
    by_key = {r["target_key"]: r for r in rows}
    assert by_key[comm]["previous_rank"] == 1 and by_key[comm]["rank_change"] == -1
    assert by_key[comm]["score_change"] == pytest.approx(83.33 - 100)
    assert by_key[comm2]["rank_change"] is None  # not ranked in February
    red, black = selectors.red_black(rows, size=10)
    assert [r["target_key"] for r in red] == [comm2] and [r["target_key"] for r in black] == [comm]
    # per level (group): only dispatchers
    assert selectors.ranking(mar, mar.results.all(), group="operator") == []
    assert Evaluation.objects.count() == 2
