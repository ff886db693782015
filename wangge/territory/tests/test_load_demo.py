"""load_demo is all or nothing and loads what is missing (a small county stands in for 南安市)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wangge.accounts.models import User
from wangge.conftest import small_territory
from wangge.territory.management.commands import load_demo
from wangge.territory.models import Area, GridStaff
from wangge.territory.services import import_territory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_demo(monkeypatch):
    # the small test county has the demo logins' jurisdictions (county, 溪美街道, 溪美社区 1)
    monkeypatch.setattr(load_demo, "build_feature_collection", lambda seed: small_territory())
    from wangge.cases import demo

    monkeypatch.setattr(demo, "create_demo_cases", lambda count: 0)  # cases: tested elsewhere


def run(capsys) -> str:
    call_command("load_demo")
    return capsys.readouterr().out


def test_a_failure_while_creating_the_people_leaves_no_territory(monkeypatch):
    def broken(seed):
        raise RuntimeError("boom")

    monkeypatch.setattr(load_demo, "create_demo_people", broken)
    with pytest.raises(RuntimeError, match="boom"):
        call_command("load_demo")
    assert not Area.objects.exists()


def test_loads_county_and_people_then_does_nothing(capsys):
    out = run(capsys)
    assert "Loaded the demo county: 15 areas" in out
    assert User.objects.get(username="admin").is_superuser
    assert GridStaff.objects.exists()
    users = User.objects.count()
    assert "already loaded" in run(capsys)
    assert User.objects.count() == users


def test_a_county_without_people_gets_only_the_people(capsys):
    import_territory(small_territory())
    before = set(Area.objects.values_list("pk", flat=True))
    out = run(capsys)
    assert "already loaded" not in out
    assert "areas" not in out and "accounts" in out
    assert User.objects.filter(username="admin").exists()
    assert set(Area.objects.values_list("pk", flat=True)) == before


def test_partial_demo_accounts_are_refused_without_changes(capsys):
    import_territory(small_territory())
    User.objects.create_user("leader", password="x")
    with pytest.raises(CommandError, match="'admin' is missing but other demo accounts exist"):
        call_command("load_demo")
    assert list(User.objects.values_list("username", flat=True)) == ["leader"]


def test_the_security_logins_are_added_to_an_older_demo(capsys):
    from wangge.accounts.choices import Role

    run(capsys)
    assert User.objects.get(username="shenji").role == Role.AUDITOR
    assert User.objects.get(username="anquan").role == Role.SECURITY_ADMIN
    User.objects.filter(username__in=["shenji", "anquan"]).delete()
    assert "Added the security administrator and auditor logins" in run(capsys)
    assert User.objects.filter(username__in=["shenji", "anquan"]).count() == 2
