"""Address parsing and matching on a fixed set of messy addresses."""

import pytest

from wangge.places import address, services
from wangge.places.models import AddressMatch, MatchState

# text, the expected standard address (a fixture key) or None, accepted at the threshold?
CASES = [
    ("南安市溪美街道溪美街道1社区幸福路12号3栋2单元301室", "a1", True),  # exact
    ("幸福路 12 号 3 栋 2 单元 301", "a1", True),  # spaces, no divisions
    ("福建省泉州市南安市溪美街道幸福路１２号３栋２单元３０１室", "a1", True),  # full-width
    ("溪美街道幸福路12号3幢2单元301室", "a1", True),  # 幢 for 栋
    ("幸福路12号3号楼2单元301", "a1", True),  # 号楼 form
    ("幸福路12号三栋二单元301室", "a1", True),  # Chinese numerals
    ("幸福路12号3栋2单元302室", "a2", True),  # the next room
    ("幸福路12-3-2-301", "a1", True),  # dashes
    ("幸福路12号阳光花园3栋2单元301室", "a1", True),  # an estate name in between
    ("溪美幸福路14号", "a3", True),  # short township name
    ("建设大道8号A座1单元101", "a4", True),  # 座 for 栋, letters
    ("柳城街道建设大道8号A栋1单元101室", "a4", True),
    ("建没大道8号A栋1单元101", "a4", True),  # a typo in a long road name: just at 90
    ("新华街 5号 1栋 1单元 201", "a5", True),
    ("幸福陆12号3栋2单元301室", "a1", False),  # a typo in a short road: to review
    ("柳城街道幸福路12号3栋2单元301室", "a1", False),  # the wrong township: to review
    ("幸福路99号", "a3", False),  # no such door number
    ("人民路1号", None, False),  # no such road
]


@pytest.mark.parametrize(("text", "expected", "accepted"), CASES)
def test_messy_addresses(std_addresses, text, expected, accepted):
    result = address.match(text)
    want = std_addresses[expected] if expected else None
    assert result.candidate == want, (text, result.parsed.as_dict(), result.score)
    assert result.accepted is accepted, (text, result.score)
    assert 0 <= result.score <= 100


def test_parse_parts(territory):
    p = address.parse("福建省泉州市南安市溪美街道溪美街道1社区 幸福路１２号阳光花园三幢二单元301室")
    assert (p.county, p.township, p.village) == ("南安市", "溪美街道", "溪美街道1社区")
    assert (p.road, p.door_number, p.estate, p.building_no, p.unit_no, p.room_no) == (
        "幸福路", "12", "阳光花园", "3", "2", "301")
    assert p.area_codes[-1] == "350583001001"


def test_low_scores_go_to_the_review_queue(std_addresses, users):
    found, result = services.match_address(None, "幸福陆12号3栋2单元301室", source="test")
    assert found is None and result.score < 90
    pending = AddressMatch.objects.get()
    assert pending.state == MatchState.PENDING and pending.candidate == std_addresses["a1"]
    assert AddressMatch.objects.visible_to(users["ximei"]).count() == 1
    assert AddressMatch.objects.visible_to(users["liucheng"]).count() == 0
    services.decide_match(users["ximei"], pending, accept=True)
    pending.refresh_from_db()
    assert pending.state == MatchState.ACCEPTED and pending.decided_by == users["ximei"]
    found, _ = services.match_address(None, "幸福路12号3栋2单元301室")
    assert found == std_addresses["a1"] and AddressMatch.objects.count() == 1


def test_a_user_matches_only_addresses_in_scope(std_addresses, users):
    found, result = services.match_address(users["liucheng"], "幸福路12号3栋2单元301室",
                                           record=False)
    assert found is None and result.candidate is None
