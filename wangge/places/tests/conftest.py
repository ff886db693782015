import pytest

XIMEI_1 = "350583001001"  # 溪美街道1社区
XIMEI_1_GRID = "350583001001001"  # lon 118.0–118.1, lat 24.8–24.9
XIMEI_2 = "350583001002"
LIUCHENG_2 = "350583002002"
LIUCHENG_2_GRID = "350583002002002"  # lon 118.3–118.4, lat 24.9–25.0

# valid 18-digit ID numbers (check digits computed)
def _id(first17: str) -> str:
    from wangge.core.identifiers import id_check_character

    return first17 + id_check_character(first17)


@pytest.fixture
def std_addresses(territory):
    from wangge.places import services

    t = territory
    return {
        "a1": services.create_address(None, area=t[XIMEI_1], road="幸福路", door_number="12",
                                      building_no="3", unit_no="2", room_no="301"),
        "a2": services.create_address(None, area=t[XIMEI_1], road="幸福路", door_number="12",
                                      building_no="3", unit_no="2", room_no="302"),
        "a3": services.create_address(None, area=t[XIMEI_1], road="幸福路", door_number="14"),
        "a4": services.create_address(None, area=t[LIUCHENG_2], road="建设大道",
                                      door_number="8", building_no="A", unit_no="1",
                                      room_no="101"),
        "a5": services.create_address(None, area=t[XIMEI_2], road="新华街", door_number="5",
                                      building_no="1", unit_no="1", room_no="201"),
    }


@pytest.fixture
def persons(territory):
    from wangge.people.services import register_person

    t = territory
    return {
        "zhang": register_person(None, name="张三", id_number=_id("35058319800101123"),
                                 area=t[XIMEI_1_GRID], phone="13800000001"),
        "li": register_person(None, name="李四", id_number=_id("35058319900202234"),
                              area=t[XIMEI_1_GRID]),
        "wang": register_person(None, name="王五", id_number=_id("35058319850303345"),
                                area=t[LIUCHENG_2_GRID]),
    }


@pytest.fixture
def buildings(territory):
    from wangge.places import services

    return {
        "ximei": services.create_building(None, name="幸福苑3栋", lon=118.05, lat=24.85,
                                          floors=6),
        "liucheng": services.create_building(None, name="建设大厦", lon=118.35, lat=24.95),
    }
