"""People and units around the small territory of wangge/conftest.py, and an HTTP client."""

from __future__ import annotations

import io

import pytest
import requests

from wangge.accounts.choices import Role
from wangge.territory.choices import Post

GRID = "350583001001001"  # 溪美街道1社区, grid 1
GRID_POINT = (118.05, 24.85)  # inside GRID (WGS-84)
OTHER_GRID_POINT = (118.25, 24.85)  # in 柳城街道


def png_bytes() -> bytes:
    """A real 1×1 PNG."""
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


@pytest.fixture
def people(territory, make_user):
    from wangge.dispatch.demo import create_departments
    from wangge.territory.services import assign_staff

    departments = create_departments(territory["350583000000"])
    t = territory
    people = {
        "gw": make_user("gw", Role.GRID_WORKER, t["350583001001"], display_name="网格员小陈"),
        "gw2": make_user("gw2", Role.GRID_WORKER, t["350583001001"], display_name="网格员小李"),
        "comm": make_user("comm", Role.DISPATCHER, t["350583001001"], display_name="社区受理员"),
        "street": make_user("street", Role.DISPATCHER, t["350583001000"],
                            display_name="街道分中心"),
        "center": make_user("center", Role.OPERATOR, t["350583000000"],
                            display_name="指挥中心坐席"),
        "cg": make_user("cg", Role.DEPARTMENT, t["350583000000"], display_name="城管处置员",
                        department=departments["chengguan-350583"]),
        "police": make_user("police", Role.DEPARTMENT, t["350583001000"],
                            display_name="派出所民警", department=departments["police-350583001"]),
        "leader": make_user("leader", Role.LEADER, t["350583000000"], display_name="领导"),
        "inspector": make_user("inspector", Role.INSPECTOR, t["350583000000"],
                               display_name="督察员"),
        "comm2": make_user("comm2", Role.DISPATCHER, t["350583002001"],
                           display_name="柳城社区受理员"),
    }
    assign_staff(actor=None, grid=t[GRID], user=people["gw"], post=Post.FULL_TIME)
    assign_staff(actor=None, grid=t[GRID], user=people["gw2"], post=Post.PART_TIME)
    people["departments"] = departments
    return people


class Api:
    """A real HTTP client for one user (bearer token), raising on unexpected statuses."""

    def __init__(self, base: str, user=None, language: str | None = None):
        from wangge.accounts.services import issue_token

        self.base = base.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        if language:  # the messages asserted are in this language (default: the site's zh-hans)
            self.session.headers["Accept-Language"] = language
        if user is not None:
            _, key = issue_token(actor=None, user=user, name="test")
            self.session.headers["Authorization"] = f"Bearer {key}"

    def call(self, method, path, expect=200, **kwargs):
        response = self.session.request(method, self.base + path, timeout=30, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code,
                                                response.text[:500])
        return response.json()

    def get(self, path, expect=200, **kwargs):
        return self.call("GET", path, expect, **kwargs)

    def post(self, path, json=None, expect=200, **kwargs):
        return self.call("POST", path, expect, json=json, **kwargs)

    def report(self, expect=201, photos=0, result_photos=0, **fields):
        files = [("photos", (f"p{i}.png", io.BytesIO(png_bytes()), "image/png"))
                 for i in range(photos)]
        files += [("result_photos", (f"r{i}.png", io.BytesIO(png_bytes()), "image/png"))
                  for i in range(result_photos)]
        data = {k: ("true" if v is True else "false" if v is False else v)
                for k, v in fields.items()}
        return self.call("POST", "/cases", expect, data=data, files=files or None)

    def upload(self, number, count=1, kind="after"):
        files = [("files", (f"f{i}.png", io.BytesIO(png_bytes()), "image/png"))
                 for i in range(count)]
        return self.call("POST", f"/cases/{number}/attachments", 201, data={"kind": kind},
                         files=files)


@pytest.fixture
def apis(live_server, people):
    from django.core.cache import cache

    cache.clear()  # anonymous reports are rate-limited per address (the cache is per process)
    return {name: Api(live_server.url, user) for name, user in people.items()
            if name != "departments"} | {"anonymous": Api(live_server.url)}
