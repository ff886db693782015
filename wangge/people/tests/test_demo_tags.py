"""Synthetic care and special groups for the demo: plausible ages, the rest unchanged."""

from __future__ import annotations

import csv
import io

from wangge.people import bulk
from wangge.people.models import Tag


def _people(with_tags: bool) -> list[dict]:
    people, houses = io.StringIO(), io.StringIO()
    bulk.write_synthetic(people, houses, 4000, 0, seed=7, with_tags=with_tags)
    return list(csv.DictReader(io.StringIO(people.getvalue())))


def test_demo_tags_go_to_people_of_the_right_age_and_change_nothing_else(territory):
    bulk.ensure_demo_tags()
    assert Tag.objects.get(name="社区矫正").sensitive  # special groups are always sensitive
    assert not Tag.objects.get(name="独居老人").sensitive
    tagged, plain = _people(True), _people(False)
    assert [{**row, "tags": ""} for row in tagged] == plain
    seen = {}
    for row in tagged:
        born = int(row["id_number"][6:10])
        for name in filter(None, row["tags"].split("、")):
            seen[name] = seen.get(name, 0) + 1
            if name in ("独居老人", "空巢老人"):
                assert born <= 1961
            if name == "留守儿童":
                assert born > 2010
    assert 0 < seen["残疾人"] < 200 and seen["空巢老人"] > seen["社区矫正"]
    made = bulk.import_people_csv(io.StringIO(
        "name,id_number,kind,phone,area_code,address,tags\n"
        + "".join(",".join(row.values()) + "\n" for row in tagged[:300])))
    assert made["created"] == 300
    assert Tag.objects.get(name="独居老人").people.count() == sum(
        "独居老人" in row["tags"] for row in tagged[:300])
