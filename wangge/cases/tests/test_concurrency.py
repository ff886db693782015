"""Two people acting on one case at once, and several sweeping workers: exactly one wins."""

import datetime as dt
import threading

import pytest
from django.db import connection

from wangge.cases import services
from wangge.cases.models import Case, CaseEvent, Supervision
from wangge.cases.tests.conftest import GRID_POINT

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_together(functions):
    """Start all functions at the same moment in threads; return their results/exceptions."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # collected and checked by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def dispatched_case(people):
    case = services.report(actor=people["gw"], category="0101", description="垃圾",
                           source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1])
    services.accept(actor=people["comm"], case=case)
    return services.dispatch(actor=people["comm"], case=case,
                             department="chengguan-350583")


def test_two_handlers_sign_at_once_exactly_one_wins(people, make_user):
    second = make_user("cg2", "department", people["cg"].jurisdiction,
                       department=people["departments"]["chengguan-350583"])
    case = dispatched_case(people)
    results = run_together([
        lambda: services.sign(actor=people["cg"], case=case.number),
        lambda: services.sign(actor=second, case=case.number),
    ])
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, services.CaseError)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], services.InvalidTransition)
    assert case.number in losses[0].message and losses[0].code == "invalid_transition"
    assert CaseEvent.objects.filter(case=case, action="sign").count() == 1


def test_a_stale_form_is_refused_and_says_who_changed_it(people):
    case = dispatched_case(people)
    seen = case.version
    services.sign(actor=people["cg"], case=case, expected_version=seen)
    with pytest.raises(services.Conflict) as info:
        services.return_case(actor=people["cg"], case=case, note="不归我们", expected_version=seen)
    assert "城管处置员" in info.value.message
    assert Case.objects.get(pk=case.pk).status == "in_progress"


def test_dispatchers_racing_on_accept_and_reject(people):
    case = services.report(actor=people["gw"], category="0101", description="垃圾",
                           source="patrol", lon=GRID_POINT[0], lat=GRID_POINT[1])
    results = run_together([
        lambda: services.accept(actor=people["comm"], case=case.number),
        lambda: services.reject(actor=people["street"], case=case.number, note="不属实"),
    ])
    assert sum(isinstance(r, Case) for r in results) == 1, results
    final = Case.objects.get(pk=case.pk)
    assert final.status in ("to_dispatch", "rejected")
    assert final.events.filter(action__in=["accept", "reject"]).count() == 1


def test_several_workers_sweeping_at_once_flag_each_step_once(people):
    numbers = []
    for i in range(12):
        case = services.report(actor=people["gw"], category="0101", description=f"垃圾{i}",
                               source="patrol", lon=GRID_POINT[0] + i * 0.001,
                               lat=GRID_POINT[1])
        numbers.append(case.number)
    later = max(Case.objects.values_list("step_deadline", flat=True)) + dt.timedelta(hours=1)
    results = run_together([lambda: services.sweep_overdue(now=later, batch=5)
                            for _ in range(3)])
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 12
    assert Supervision.objects.filter(automatic=True).count() == 12
    assert CaseEvent.objects.filter(action="overdue").count() == 12
