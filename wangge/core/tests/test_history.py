"""The shared history helpers, the base-data editing rule and the core texts' translations."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from wangge.core.history import build_change, history_entries
from wangge.core.models import ChangeSource
from wangge.core.permissions import can_edit_base_data

ROOT = Path(__file__).resolve().parents[1]


def _row(before, after, action="updated", source="import people.csv"):
    return SimpleNamespace(before=before, after=after, action=action, source=source)


def test_history_entries_show_changed_fields_only_with_labels_and_display():
    rows = [
        _row({"name": "甲", "status": "normal", "tags": ["a"]},
             {"name": "甲", "status": "damaged", "tags": ["a", "b"]}),
        _row(None, {"name": "甲", "status": "normal", "note": "", "tags": []},
             action="created"),
        _row({"name": "甲", "secret": 1}, {"name": "甲", "secret": 2}),
    ]
    entries = history_entries(rows, {"status": "Status"}, hide=["secret"],
                              display=lambda k, v: v.upper() if k == "status" and v else v)
    assert len(entries) == 2  # the third change has nothing this viewer may see
    assert entries[0]["fields"] == [
        {"key": "status", "label": "Status", "before": "NORMAL", "after": "DAMAGED"},
        {"key": "tags", "label": "tags", "before": "a", "after": "a、b"}]
    # empty ones left out; the labelled fields first, in the labels' order
    assert [f["key"] for f in entries[1]["fields"]] == ["status", "name"]
    assert entries[0]["channel"] == str(ChangeSource.IMPORT.label)  # the file name dropped


def test_build_change_picks_the_action_and_skips_no_ops():
    class Row(SimpleNamespace):
        pass

    assert build_change(Row, actor=None, before={"a": 1}, after={"a": 1}, source="web") is None
    assert build_change(Row, actor=None, before=None, after={"a": 1}, source="").action == \
        "created"
    assert build_change(Row, actor=None, before={"a": 1}, after=None, source="api").action == \
        "deleted"
    row = build_change(Row, actor=None, before={"a": 1}, after={"a": 2}, source="import x.csv")
    assert (row.action, row.source) == ("updated", "import x.csv")


@pytest.mark.parametrize(("role", "allowed"), [
    ("grid_worker", True), ("dispatcher", True), ("admin", True), ("leader", False),
    ("inspector", False), ("operator", False), ("department", False)])
def test_who_may_edit_base_data(make_user, role, allowed):
    assert can_edit_base_data(make_user(f"u-{role}", role)) is allowed


def test_superusers_the_system_and_inactive_users(make_user):
    assert can_edit_base_data(None)
    assert can_edit_base_data(make_user("root", "leader", is_superuser=True))
    assert not can_edit_base_data(make_user("gone", "grid_worker", is_active=False))


PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TEMPLATE_MSGID = re.compile(r"""\{% translate ["']([^"']+)["']""")


def test_translations_cover_the_core_templates():
    texts = json.loads((ROOT / "zh.json").read_text(encoding="utf-8"))
    for msgid, text in texts.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid
        assert re.search(r"[\u4e00-\u9fff]", text), msgid
    for name in ("_history.html", "edit.html"):
        path = ROOT.parent / "templates" / "core" / name
        for msgid in TEMPLATE_MSGID.findall(path.read_text(encoding="utf-8")):
            assert msgid in texts, (path.name, msgid)
