"""Synthetic households for the demo county (``wangge demo-data``): who lives where.

After the synthetic residents and houses are in, each occupied house gets a household from the
residents who live nowhere yet, those of its own grid first, then of its community (人户分离:
registered in one grid, living in another of the same community, is common): an owner-occupied
house its owner (when registered in that grid) as head and relatives, a rented house tenants, a
business house one or two people; vacant houses stay empty. Deterministic for a seed, and only
houses without residents and people without a home are touched, so running it again adds
nothing.
Like the rest of the synthetic data it is inserted in bulk without change-history rows (it was
never changed by anyone).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import connection, transaction

from wangge.people.bulk import insert_rows
from wangge.places.models import House, Residence, Usage

RELATIONS = ["配偶", "子女", "子女", "父母", "孙子女", "兄弟姐妹"]
SIZES = {Usage.OWNER: ([1, 2, 3, 4, 5], [0.12, 0.3, 0.28, 0.2, 0.1]),
         Usage.RENTED: ([1, 2, 3], [0.45, 0.4, 0.15]),
         Usage.BUSINESS: ([1, 2], [0.7, 0.3])}


def link_residents(seed: int = 350583, today: dt.date | None = None) -> dict:
    """Households for the occupied houses that have none; returns the counts made."""
    from wangge.people.models import Person

    rng = np.random.default_rng(seed + 17)
    today = today or dt.date.today()
    housed = set(Residence.objects.filter(until__isnull=True).values_list("person_id",
                                                                          flat=True))
    homeless: dict[int, list[int]] = {}  # grid (area) id → people living nowhere yet
    area_of: dict[int, int] = {}
    for pk, area_id in Person.objects.order_by("pk").values_list("pk", "area_id").iterator(
            chunk_size=20_000):
        if pk not in housed:
            homeless.setdefault(area_id, []).append(pk)
            area_of[pk] = area_id
    from wangge.territory.models import Area

    parent_of = dict(Area.objects.filter(parent__isnull=False).values_list("pk", "parent_id"))
    pools: dict[int, list[int]] = {}  # a grid's, then a community's people (all its grids')
    for area_id, people in homeless.items():
        pools.setdefault(area_id, []).extend(people)
        community = parent_of.get(area_id)
        if community is not None:
            pools.setdefault(community, []).extend(people)
    taken: set[int] = set()
    rows: list[tuple] = []
    houses = (House.objects.filter(residences__isnull=True)
              .exclude(usage=Usage.VACANT).order_by("pk")
              .values_list("pk", "usage", "owner_id", "building__grid_id"))
    cursor_of: dict[int, int] = {}
    for house_id, usage, owner_id, grid_id in houses.iterator(chunk_size=20_000):
        sizes, weights = SIZES.get(usage, SIZES[Usage.OWNER])
        size = int(rng.choice(sizes, p=weights))
        members: list[int] = []
        if usage == Usage.OWNER and owner_id not in taken and area_of.get(owner_id) == grid_id:
            members.append(owner_id)  # the owner, registered in this grid, lives here
        for pool_id in (grid_id, parent_of.get(grid_id)):
            pool = pools.get(pool_id, [])
            position = cursor_of.get(pool_id, 0)
            while len(members) < size and position < len(pool):
                candidate = pool[position]
                position += 1
                if candidate not in taken and candidate not in members:
                    members.append(candidate)
            cursor_of[pool_id] = position
        since_days = int(rng.integers(30, 365 * 25))
        since = today - dt.timedelta(days=since_days if usage == Usage.OWNER
                                     else since_days % 1500 + 30)
        for index, person_id in enumerate(members):
            taken.add(person_id)
            tenant = usage == Usage.RENTED
            relation = "" if tenant else ("户主" if index == 0 else
                                          RELATIONS[int(rng.integers(0, len(RELATIONS)))])
            rows.append((person_id, house_id, relation, tenant, since, None, None))
    if rows:
        with transaction.atomic():
            insert_rows(Residence._meta.db_table, ["person_id", "house_id", "relation",
                                                   "is_tenant", "since", "until",
                                                   "registered_by_id"],
                        [_dated(row) for row in rows])
    return {"residences": len(rows), "houses": len({row[1] for row in rows})}


def _dated(row: tuple) -> tuple:
    """Dates as the backend's raw insert takes them."""
    if connection.vendor == "sqlite":
        return (*row[:4], row[4].isoformat(), *row[5:])
    return row
