"""Shared pieces of the synthetic demo data (``wangge demo-data``): random points inside given
grids, the places of a grid (township, village), and plausible names, roads and phones.

Every generator draws its records in fixed blocks, each from its own random generator seeded
with ``(seed, stream, block number)`` (``block_rng``). So record *i* depends only on the seed
and *i*: the first 600 organisations of ``--organisations 36000`` are the 600 of the default
run, and raising a count later only adds records.

Points are made vectorised, the way the locate benchmark works: for each wanted grid a point is
drawn in the grid's bounding box, all points are located at once through the grid index's
STRtree (the same index ``locate`` uses), and those that fell outside their grid are drawn
again. A point therefore always locates to the grid it was made for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import shapely

from wangge.territory.choices import Level

BLOCK = 1000  # records per random generator

SURNAMES = list("陈林黄王李吴张刘洪蔡郑杨许苏傅戴叶潘庄柯施萧卓颜周徐孙朱高何郭罗梁谢曾")
GIVEN = list("志明建华国强丽娟秀英海燕文杰俊峰雅婷晓东伟鹏婉清思远佳怡子涵宇航金水春花玉兰"
             "荣辉永福宝珠淑芬振兴添财雪梅美玲家豪诗琪")
ROADS = ["新华路", "成功街", "溪美大道", "柳城路", "金淘街", "霞美路", "官桥路", "水头大道",
         "石井路", "康美路", "丰州路", "洪濑街", "梅山路", "英都路", "仑苍路", "东田路",
         "南安大道", "泉安路", "中山街", "环城路", "滨江路", "工业路", "发展大道", "五里街",
         "学府路", "光明路", "朴里路", "蓉中路", "古山路", "凤山路", "二环路", "省道308线"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                   "151", "152", "153", "155", "156", "157", "158", "159", "177", "180",
                   "181", "182", "183", "185", "186", "187", "188", "189", "191", "199"]


def block_rng(seed: int, stream: int, block: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(stream), int(block)])


def blocks(count: int):
    """``(block number, first record, BLOCK)`` for the whole blocks covering ``count``
    records. A generator makes whole blocks (the draws of a block must not depend on how many
    of its records are wanted) and keeps the first ``count`` records."""
    for number, start in enumerate(range(0, count, BLOCK)):
        yield number, start, BLOCK


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    surname = rng.choice(SURNAMES, n)
    given1 = rng.choice(GIVEN, n)
    given2 = np.where(rng.random(n) < 0.7, rng.choice(GIVEN, n), "")
    return [f"{s}{a}{b}" for s, a, b in zip(surname.tolist(), given1.tolist(), given2.tolist(),
                                            strict=True)]


def mobiles(rng: np.random.Generator, n: int) -> list[str]:
    prefix = rng.choice(MOBILE_PREFIXES, n)
    rest = rng.integers(0, 10**8, n)
    return [f"{p}{r:08d}" for p, r in zip(prefix.tolist(), rest.tolist(), strict=True)]


def short_township(name: str) -> str:
    """溪美街道 → 溪美, 洪濑镇 → 洪濑, 雪峰华侨经济开发区 → 雪峰."""
    for suffix in ("华侨经济开发区", "经济开发区", "开发区", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class GridPlace:
    grid_id: int
    code: str
    name: str
    village: str  # 溪美社区, 霞东村 …
    township: str  # 溪美街道 …
    township_code: str  # 12 digits
    urban: bool  # a community (社区) rather than a village (村)


class GridSampler:
    """The unit grids of the territory (those of the locate index, in its order) with their
    places, and random points inside any of them."""

    MAX_ROUNDS = 500

    def __init__(self, index=None):
        from wangge.territory.locate import get_index
        from wangge.territory.models import Area

        self.index = index if index is not None else get_index()
        if len(self.index) == 0:
            raise RuntimeError("no grids with polygons: load the demo county first "
                               "(wangge load-demo)")
        self.bounds = shapely.bounds(self.index.geometries)
        self.widths = self.bounds[:, 2] - self.bounds[:, 0]
        self.heights = self.bounds[:, 3] - self.bounds[:, 1]
        areas = {pk: (code, name, level, parent) for pk, code, name, level, parent in
                 Area.objects.values_list("id", "code", "name", "level", "parent_id")}
        places = []
        county = ("", "", 0, None)
        for grid_id, code, name in zip(self.index.ids.tolist(), self.index.codes,
                                       self.index.names, strict=True):
            village = township = ("", "", 0, None)
            node = areas.get(grid_id)
            while node is not None:
                if node[2] == Level.VILLAGE:
                    village = node
                elif node[2] == Level.TOWNSHIP:
                    township = node
                elif node[2] == Level.COUNTY:
                    county = node
                node = areas.get(node[3])
            places.append(GridPlace(grid_id, code, name, village[1], township[1], township[0],
                                    not village[1].endswith("村")))
        self.places = places
        self.county_name = county[1]
        self.county_code = county[0][:6]
        self.grid_ids = self.index.ids
        urban = np.array([p.urban for p in places], dtype=float)
        # communities (社区) are denser than villages (村)
        weights = 1.0 + 2.0 * urban
        self.urban_weights = weights / weights.sum()

    def __len__(self) -> int:
        return len(self.places)

    def pick(self, rng: np.random.Generator, n: int, urban_bias: bool = True) -> np.ndarray:
        """``n`` grid indices, communities three times as likely as villages."""
        if urban_bias:
            return rng.choice(len(self), n, p=self.urban_weights)
        return rng.integers(0, len(self), n)

    def points(self, targets, rng: np.random.Generator, decimals: int = 6):
        """A point (lon, lat, rounded to ``decimals``) inside each target grid index."""
        targets = np.asarray(targets, dtype=np.int64)
        lons = np.empty(len(targets))
        lats = np.empty(len(targets))
        todo = np.arange(len(targets))
        for _round in range(self.MAX_ROUNDS):
            if len(todo) == 0:
                return lons, lats
            wanted = targets[todo]
            xs = np.round(self.bounds[wanted, 0] + rng.random(len(todo)) * self.widths[wanted],
                          decimals)
            ys = np.round(self.bounds[wanted, 1] + rng.random(len(todo)) * self.heights[wanted],
                          decimals)
            ok = self.index.locate_indices(xs, ys) == wanted
            lons[todo[ok]] = xs[ok]
            lats[todo[ok]] = ys[ok]
            todo = todo[~ok]
        if len(todo) == 0:
            return lons, lats
        raise RuntimeError(f"could not place a point inside grid "
                           f"{self.places[int(targets[todo[0]])].code}: its polygon is too thin")

    def address(self, index: int, road: str, door: int) -> str:
        place = self.places[index]
        return f"{self.county_name}{place.township}{place.village}{road}{door}号"


def bulk_insert(model, rows: list[dict]) -> int:
    """Inserts ``rows`` (dicts by field attname: ``grid_id``, ``name`` …) into ``model``'s table
    through the base-data import's multi-row INSERT / COPY (wangge.people.bulk.insert_rows),
    without building model instances: at 100,000 rows that is several times faster than
    ``bulk_create``. Fields not given get their default (``auto_now`` fields: now). Returns the
    highest primary key before the insert: the new rows are those above it."""
    from django.db import connection
    from django.db.models import DateField, DateTimeField, Max
    from django.utils import timezone

    from wangge.people.bulk import insert_rows

    before = model.objects.aggregate(top=Max("pk"))["top"] or 0
    if not rows:
        return before
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"

    def stamp(value):
        if value is None or not sqlite:
            return value
        if isinstance(value, dt.datetime):
            if timezone.is_aware(value):
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return value.isoformat(sep=" ")
        return value.isoformat()

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plan = []  # (attname, fixed value or None, per-row default or None, convert)
    for field in fields:
        convert = stamp if isinstance(field, DateField | DateTimeField) else None
        convert = getattr(field, "seal", convert)  # an encrypted field (core/encrypted.py)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            plan.append((field.attname, now if isinstance(field, DateTimeField)
                         else timezone.localdate(), None, convert))
        elif field.has_default() and callable(field.default):
            plan.append((field.attname, None, field.get_default, convert))
        else:
            plan.append((field.attname, field.get_default(), None, convert))
    given = set(rows[0])
    values = []
    for row in rows:
        out = []
        for attname, fixed, factory, convert in plan:
            if attname in given:
                value = row[attname]
            elif factory is not None:
                value = factory()
            else:
                value = fixed
            out.append(convert(value) if convert is not None else value)
        values.append(tuple(out))
    insert_rows(model._meta.db_table, [f.column for f in fields], values)
    return before
