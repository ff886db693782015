"""The command center: who may use it, the queue and its quick actions, boards, map data."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.cases import services
from wangge.cases.models import Case
from wangge.cases.tests.conftest import GRID_POINT

pytestmark = pytest.mark.django_db


def report(people, who="gw", **extra):
    fields = {"category": "0101", "description": "路边垃圾", "source": "patrol",
              "lon": GRID_POINT[0], "lat": GRID_POINT[1]} | extra
    return services.report(actor=people[who], **fields)


def test_only_desk_roles_open_the_command_center(client, people):
    for name, status in (("comm", 200), ("center", 200), ("leader", 200), ("gw", 403),
                         ("cg", 403)):
        client.force_login(people[name])
        assert client.get(reverse("command:center")).status_code == status, name


def test_queue_lists_what_this_desk_may_accept_urgent_first(client, people):
    normal = report(people)
    urgent = report(people, category="0101", urgency="urgent", lon=GRID_POINT[0] + 0.01)
    district = report(people, category="0403")  # critical: the district's queue
    client.force_login(people["comm"])
    html = client.get(reverse("command:queue")).text
    assert urgent.number in html and normal.number in html
    assert html.index(urgent.number) < html.index(normal.number)
    assert district.number not in html
    client.force_login(people["center"])
    assert district.number in client.get(reverse("command:queue")).text
    client.force_login(people["comm2"])
    assert normal.number not in client.get(reverse("command:queue")).text


def test_accept_and_dispatch_in_one_click_with_the_proposed_unit(client, people):
    case = report(people)
    client.force_login(people["comm"])
    html = client.get(reverse("command:queue")).text
    assert 'value="chengguan-350583" selected' in html  # the responsibility list's proposal
    response = client.post(reverse("command:quick", args=[case.number, "accept_dispatch"]),
                           {"department": "chengguan-350583", "version": case.version},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "dispatched" and case.holder_department.code == "chengguan-350583"
    assert case.number not in response.text.split('id="queue-list"')[1]
    # the same click again (a stale queue) is refused with a message, nothing changes
    again = client.post(reverse("command:quick", args=[case.number, "accept_dispatch"]),
                        {"department": "chengguan-350583", "version": 1},
                        HTTP_HX_REQUEST="true")
    assert 'class="flash error"' in again.text
    assert case.events.filter(action="dispatch").count() == 1


def test_reject_needs_a_reason_and_merge_uses_the_suspected_duplicate(client, people):
    first = report(people)
    second = report(people, who="gw2", lon=GRID_POINT[0] + 0.0002)
    assert second.suspected_duplicate_of_id == first.pk
    client.force_login(people["comm"])
    html = client.get(reverse("command:queue")).text
    assert reverse("command:quick", args=[second.number, "merge"]) in html
    empty = client.post(reverse("command:quick", args=[first.number, "reject"]), {"note": ""},
                        HTTP_HX_REQUEST="true")
    assert 'class="flash error"' in empty.text
    client.post(reverse("command:quick", args=[second.number, "merge"]),
                {"master": first.number}, HTTP_HX_REQUEST="true")
    assert Case.objects.get(pk=second.pk).status == "merged"
    client.post(reverse("command:quick", args=[first.number, "reject"]), {"note": "不属实"},
                HTTP_HX_REQUEST="true")
    assert Case.objects.get(pk=first.pk).status == "rejected"


def test_boards_show_overdue_nearly_due_returned_and_extensions(client, people):
    late = report(people, now=timezone.now() - dt.timedelta(hours=3))  # acceptance overdue
    case = report(people, lon=GRID_POINT[0] + 0.01)
    services.accept(actor=people["comm"], case=case)
    services.dispatch(actor=people["comm"], case=case, user="gw2")
    services.return_case(actor=people["gw2"], case=case, note="不归我")
    services.accept(actor=people["comm"], case=late)
    third = report(people, lon=GRID_POINT[0] + 0.02)
    services.accept(actor=people["comm"], case=third)
    services.dispatch(actor=people["comm"], case=third, user="gw2")
    services.sign(actor=people["gw2"], case=third)
    services.request_extension(actor=people["gw2"], case=third, amount="1", unit="wd",
                               note="等材料")
    client.force_login(people["comm"])
    html = client.get(reverse("command:boards")).text

    def board(name):
        return html.split(f'id="board-{name}"')[1].split("</section>")[0]

    assert case.number in board("returned") and late.number not in board("returned")
    assert third.number in board("extensions")
    assert case.number in board("dispatch") and late.number in board("dispatch")
    stale = report(people, lon=GRID_POINT[0] + 0.03, now=timezone.now() - dt.timedelta(hours=3))
    html = client.get(reverse("command:boards")).text
    assert stale.number in board("overdue")  # its 30-minute acceptance ran out long ago
    assert case.number not in board("overdue") and third.number not in board("overdue")


def test_map_data_is_scoped(client, people):
    mine = report(people)
    other = services.report(actor=people["comm2"], category="0101", description="柳城",
                            source="patrol", lon=118.25, lat=24.85)
    client.force_login(people["street"])
    data = client.get(reverse("command:map")).json()
    codes = {f["properties"]["code"] for f in data["grids"]}
    assert codes == {"350583001001001", "350583001001002", "350583001002001",
                     "350583001002002"}
    numbers = {c["n"] for c in data["cases"]}
    assert mine.number in numbers and other.number not in numbers
    assert data["load"]["350583001001001"]["open"] == 1
