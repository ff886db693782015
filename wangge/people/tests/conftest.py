from __future__ import annotations

import pytest

from wangge.core.identifiers import id_check_character

GRID_XIMEI = "350583001001001"  # 溪美街道 1社区 1网格
GRID_LIUCHENG = "350583002001001"  # 柳城街道 1社区 1网格


def make_id(birth: str = "19800101", seq: str = "123", region: str = "350583") -> str:
    first17 = region + birth + seq
    return first17 + id_check_character(first17)


@pytest.fixture
def tags(db):
    from wangge.people.models import Tag, TagGroup

    return {
        "elderly": Tag.objects.create(name="独居老人", group=TagGroup.CARE),
        "drugs": Tag.objects.create(name="社区戒毒", group=TagGroup.SPECIAL),
    }


@pytest.fixture
def grant():
    from django.contrib.auth.models import Permission

    def grant(user, codename):
        user.user_permissions.add(Permission.objects.get(codename=codename,
                                                         content_type__app_label="people"))
        # permissions are cached on the instance
        for attr in ("_perm_cache", "_user_perm_cache"):
            if hasattr(user, attr):
                delattr(user, attr)
        return user

    return grant
