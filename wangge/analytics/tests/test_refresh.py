"""DailyStat against direct counts of the cases, incremental refresh, scoping, the worker tick."""

import datetime as dt

import pytest
from django.db.models import Sum

from wangge.analytics import selectors, services
from wangge.analytics.models import DailyStat, EarlyWarning, RefreshState
from wangge.cases import services as case_services
from wangge.cases.models import Case
from wangge.cockpit.selectors import COUNT_KEYS, cohort_counts
from wangge.territory.models import Area

from .conftest import COUNTY, LIUCHENG, NOW, XIMEI

pytestmark = pytest.mark.django_db
KEY = ("report_date", "grid_code", "category_id", "source")


def test_refresh_equals_direct_counts_of_the_cases(cases_set):
    services.refresh_all(now=NOW)
    stats = {tuple(r[k] for k in KEY): r for r in DailyStat.objects.values(*KEY).annotate(
        **{k: Sum(k) for k in COUNT_KEYS}).order_by()}
    direct = {tuple(r[k] for k in KEY): r for r in Case.objects.values(*KEY).annotate(
        **cohort_counts(NOW)).order_by()}  # the cockpit's own definitions, straight on cases
    assert stats.keys() == direct.keys() and len(stats) >= 6
    for key, row in direct.items():
        assert {k: stats[key][k] for k in COUNT_KEYS} == {k: row[k] for k in COUNT_KEYS}, key
    assert DailyStat.objects.aggregate(n=Sum("reported"))["n"] == Case.objects.count() == 8


def test_the_hand_worked_figures_of_march(cases_set):
    """The figures of the cockpit's case set (worked out in its docstring), from DailyStat."""
    services.refresh_all(now=NOW)
    scope = selectors.Scope.everything()
    areas = {a.code: a for a in Area.objects.filter(code__in=[COUNTY, XIMEI, LIUCHENG])}
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    county = selectors.totals(selectors.filtered(scope, selectors.Filters(*march,
                                                                          areas[COUNTY])))
    assert (county["reported"], county["closed"], county["due"]) == (7, 3, 5)
    assert (county["closure_rate"], county["on_time_rate"], county["satisfaction_rate"]) == (
        60.0, 66.7, 66.7)
    assert county["not_filed"] == 1  # C6 rejected
    ximei = selectors.totals(selectors.filtered(scope, selectors.Filters(*march, areas[XIMEI])))
    assert (ximei["reported"], ximei["due"], ximei["closure_rate"]) == (6, 4, 75.0)
    liucheng = selectors.totals(selectors.filtered(scope, selectors.Filters(*march,
                                                                            areas[LIUCHENG])))
    assert (liucheng["reported"], liucheng["closure_rate"], liucheng["on_time_rate"]) == (
        1, 0.0, None)
    # 环比: February holds C8 only; 同比: nothing in March 2025
    comparison = selectors.compare(scope, selectors.Filters(*march, areas[COUNTY]))
    reported = next(r for r in comparison["rows"] if r["key"] == "reported")
    assert (reported["previous"], reported["mom"], reported["year_ago"], reported["yoy"]) == (
        1, 600.0, 0, None)
    assert comparison["previous_period"] == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    # by source: patrol C1 C2 C4 C5 C6, resident C3, hotline C7
    sources = {s["code"]: s["reported"] for s in selectors.by_source(
        scope, selectors.Filters(*march, areas[COUNTY]))}
    assert sources == {"patrol": 5, "resident": 1, "hotline": 1}
    # by department (the holding unit): 城管 C3 C4 → 2 cases, closure 1/2
    deps = selectors.by_department(scope, selectors.Filters(*march, areas[COUNTY]))
    chengguan = next(d for d in deps if d["code"])
    assert (chengguan["reported"], chengguan["closure_rate"], chengguan["on_time_rate"]) == (
        2, 50.0, 0.0)
    # the category filter: 大类 51 holds C6 only
    from wangge.cases.models import Category

    major = Category.objects.get(code="51")
    only51 = selectors.totals(selectors.filtered(scope, selectors.Filters(
        *march, areas[COUNTY], category=major)))
    assert only51["reported"] == 1


def test_the_worker_refresh_picks_up_an_old_day_touched_since(cases_set, people):
    services.refresh_recent(now=NOW)  # the first run counts everything
    assert RefreshState.objects.get(name="stats").info["mode"] == "all"
    c4 = cases_set["C4"]  # reported 03-03, at 城管, not handled
    day = dt.date(2026, 3, 3)
    assert DailyStat.objects.filter(report_date=day).aggregate(n=Sum("handled"))["n"] == 0
    later = NOW + dt.timedelta(hours=1)
    case_services.feedback(actor=people["cg"], case=c4, note="已处理", now=later)
    result = services.refresh_recent(now=later + dt.timedelta(minutes=5), days=1)
    assert result["days"] == 2  # today and 03-03
    assert DailyStat.objects.filter(report_date=day).aggregate(n=Sum("handled"))["n"] == 1
    assert DailyStat.objects.aggregate(n=Sum("reported"))["n"] == 8  # nothing counted twice


def test_statistics_rows_are_scoped_like_the_cases(cases_set, people):
    services.refresh_all(now=NOW)
    mine = DailyStat.objects.visible_to(people["comm2"])  # 柳城 1社区
    assert mine.aggregate(n=Sum("reported"))["n"] == 1
    assert all(r.startswith("350583002") for r in mine.values_list("grid_code", flat=True))
    ximei = DailyStat.objects.visible_to(people["street"])
    assert ximei.aggregate(n=Sum("reported"))["n"] == 7  # C1–C6, C8
    # a department handler sees the rows of the cases its unit holds: C3, C4
    assert DailyStat.objects.visible_to(people["cg"]).aggregate(n=Sum("reported"))["n"] == 2


def test_the_tick_runs_each_job_once_per_interval(cases_set):
    services.tick(now=NOW)
    first = RefreshState.objects.get(name="stats").last_started
    assert DailyStat.objects.exists()
    assert RefreshState.objects.get(name="warnings").last_finished is not None
    services.tick(now=NOW + dt.timedelta(minutes=1))  # too soon: nothing runs
    assert RefreshState.objects.get(name="stats").last_started == first
    services.tick(now=NOW + services.STATS_EVERY)
    assert RefreshState.objects.get(name="stats").last_started == NOW + services.STATS_EVERY
    assert not EarlyWarning.objects.filter(kind="spike").exists()  # no spike in this set


def test_the_registry_knows_the_tick():
    from wangge.jobs.registry import periodic_tasks

    assert services.tick in periodic_tasks()


def test_refresh_stats_command(cases_set, capsys):
    from django.core.management import call_command

    call_command("refresh_stats", "--all")
    assert DailyStat.objects.aggregate(n=Sum("reported"))["n"] == 8
    call_command("refresh_stats", "--warnings")
    assert '"warnings"' in capsys.readouterr().out
