"""Synthetic city components for the demo county (``wangge demo-data --components N``).

Each component gets a valid 16-digit code (the county's division code, a component 小类 of the
taxonomy, a serial counted per 小类), a name after its kind and road, an address on its
township and village, a position inside its grid, a status (mostly intact), and its owner and
maintainer among the demo's departments: the county bureau responsible for the 小类 in the
taxonomy owns it; the township's police station or office maintains what the police or the
township answers for, the bureau itself the rest.

Record *i* depends only on the seed and *i* (wangge/territory/synthetic.py); a component whose
code exists is skipped, so running again creates nothing. Rows go in with ``bulk_create``,
without change-history rows (invented demo data needs none).
"""

from __future__ import annotations

import numpy as np
from django.db import transaction

from wangge.territory import synthetic as syn
from wangge.things.codes import component_categories
from wangge.things.models import Component, ComponentStatus

STREAM = 2

# 小类 → (names of the component, how common it is)
KINDS = {
    "5101": (["污水井盖", "雨水井盖"], 14),
    "5102": (["电力井盖", "通信井盖"], 8),
    "5103": (["给水井盖", "燃气井盖"], 5),
    "5104": (["雨水篦子"], 8),
    "5105": (["路灯"], 16),
    "5106": (["高杆灯"], 2),
    "5107": (["室外消火栓"], 4),
    "5108": (["箱式变压器", "电力配电箱"], 3),
    "5109": (["通信交接箱", "光缆交接箱"], 3),
    "5110": (["公共厕所"], 0.6),
    "5111": (["果皮箱"], 6),
    "5112": (["健身器材"], 1.5),
    "5201": (["车行道"], 1),
    "5202": (["人行道"], 1),
    "5203": (["交通信号灯"], 1.5),
    "5204": (["交通标志牌"], 3),
    "5205": (["停车泊位线"], 1),
    "5206": (["道路隔离护栏"], 2),
    "5207": (["公交候车亭"], 1),
    "5208": (["路名牌"], 2),
    "5209": (["人行天桥"], 0.1),
    "5210": (["减速带"], 1.5),
    "5301": (["垃圾房"], 1),
    "5302": (["分类垃圾桶"], 5),
    "5303": (["景观灯"], 2),
    "5304": (["户外广告牌"], 1.5),
    "5305": (["公共座椅"], 1.5),
    "5306": (["城市雕塑"], 0.2),
    "5307": (["公厕指示牌"], 0.5),
    "5401": (["行道树"], 6),
    "5402": (["绿地乔木"], 1),
    "5404": (["公共绿地"], 1),
    "5405": (["绿化护栏"], 1),
    "5406": (["花坛", "花箱"], 1.5),
    "5407": (["古树名木"], 0.2),
    "5504": (["楼道照明"], 0.5),
    "5505": (["住宅电梯"], 0.8),
    "5601": (["无障碍坡道"], 0.5),
    "5602": (["治安监控杆"], 3),
    "5603": (["电动车充电桩"], 1.5),
    "5604": (["河道护栏"], 0.5),
    "5605": (["人防工程出入口"], 0.1),
    "5606": (["应急避难场所标识"], 0.3),
}
STATUSES = [(ComponentStatus.NORMAL, 94.0), (ComponentStatus.DAMAGED, 3.2),
            (ComponentStatus.OCCUPIED, 1.4), (ComponentStatus.MISSING, 0.9),
            (ComponentStatus.ABANDONED, 0.5)]
TOWNSHIP_KINDS = {"police": "police", "street_office": "office", "community": "office"}


def _units(categories: dict, sampler: syn.GridSampler) -> dict:
    """(小类 code, township code) → (owner department id, maintainer department id)."""
    from wangge.dispatch.models import Department

    by_code = {code: pk for pk, code in Department.objects.values_list("pk", "code")}
    county = sampler.county_code
    townships = {p.township_code for p in sampler.places if p.township_code}
    units = {}
    for code, category in categories.items():
        kind = category.department_kind or "chengguan"
        local = TOWNSHIP_KINDS.get(kind)
        owner = by_code.get(f"{kind}-{county}") or by_code.get(f"chengguan-{county}")
        for township in townships:
            if local is not None:
                maintainer = by_code.get(f"{local}-{township[:9]}")
                owner_here = owner if kind == "police" else maintainer
            else:
                maintainer, owner_here = owner, owner
            units[(code, township)] = (owner_here or owner, maintainer or owner)
    return units


def generate(count: int, seed: int, sampler: syn.GridSampler,
             categories: dict | None = None) -> list[dict]:
    """The first ``count`` synthetic components (dicts of Component fields, plus
    ``grid_index``)."""
    categories = component_categories() if categories is None else categories
    # only 小类 the taxonomy has, in code order so the weights do not depend on the query
    kinds = [code for code in sorted(categories) if KINDS.get(code, ([], 0))[1] > 0]
    if not kinds:
        raise RuntimeError("the taxonomy has no component categories (51xx–56xx) to use")
    weights = np.array([KINDS[code][1] for code in kinds], dtype=float)
    weights /= weights.sum()
    status_values = [str(s) for s, _w in STATUSES]
    status_p = np.array([w for _s, w in STATUSES])
    status_p /= status_p.sum()
    county = sampler.county_code
    serials: dict[str, int] = {}
    records = []
    for block, start, n in syn.blocks(count):
        rng = syn.block_rng(seed, STREAM, block)
        kind_idx = rng.choice(len(kinds), n, p=weights).tolist()
        grids = sampler.pick(rng, n)
        lons, lats = sampler.points(grids, rng)
        status = rng.choice(len(status_values), n, p=status_p).tolist()
        roads = rng.choice(syn.ROADS, n).tolist()
        doors = rng.integers(1, 400, n).tolist()
        variant = rng.integers(0, 1000, n).tolist()
        for i in range(n):
            minor = kinds[kind_idx[i]]
            serial = serials.get(minor, 0) + 1
            if serial > 999_999:
                if start + i < count:
                    raise RuntimeError(f"more than 999,999 components of 小类 {minor}")
                break
            serials[minor] = serial
            g = int(grids[i])
            place = sampler.places[g]
            names = KINDS[minor][0]
            kind_name = names[variant[i] % len(names)]
            road = roads[i]
            if minor == "5110":
                name = f"{place.village}公厕"
            elif minor == "5207":
                name = f"{road}站候车亭"
            else:
                name = f"{road}{kind_name}"
            records.append({
                "code": f"{county}{minor}{serial:06d}", "category": categories[minor],
                "name": name[:100], "status": status_values[status[i]],
                "address": f"{sampler.address(g, road, doors[i])}旁",
                "lon": float(lons[i]), "lat": float(lats[i]), "grid_id": place.grid_id,
                "township": place.township_code, "grid_index": g})
    return records[:count]


@transaction.atomic
def create_components(count: int, seed: int, sampler: syn.GridSampler | None = None) -> dict:
    """Makes sure the first ``count`` synthetic components exist; returns the counts."""
    sampler = sampler or syn.GridSampler()
    categories = component_categories()
    records = generate(count, seed, sampler, categories)
    existing = set(Component.objects.filter(code__startswith=sampler.county_code)
                   .values_list("code", flat=True))
    units = _units(categories, sampler)
    rows = []
    for r in records:
        if r["code"] in existing:
            continue
        owner, maintainer = units.get((r["code"][6:10], r["township"]), (None, None))
        rows.append({
            "code": r["code"], "category_id": r["category"].pk, "name": r["name"],
            "owner_department_id": owner, "owner_unit": "",
            "maintainer_department_id": maintainer, "maintainer_unit": "",
            "status": r["status"], "address": r["address"], "lon": r["lon"], "lat": r["lat"],
            "grid_id": r["grid_id"], "note": ""})
    syn.bulk_insert(Component, rows)
    return {"components": len(rows), "existing": len(records) - len(rows)}
