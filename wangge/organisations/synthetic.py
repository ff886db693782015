"""Synthetic organisations for the demo county (``wangge demo-data --organisations N``).

Plausible but invented: enterprises of 南安's trades (stone, ceramics, plumbing 水暖, shoes …,
each township favouring its own), shops, 三小场所 (some without a licence, hence without a credit
code), social organisations and village collectives; each with a valid unified social credit
code (GB 32100: authority and type, the county's region code, a 9-character organisation code
with its own GB 11714 check character, and the check character), an address on its township and
village, a position inside its grid, industry, contact and phone, a risk level, and a few
inspections for the riskier ones.

Record *i* depends only on the seed and *i* (see wangge/territory/synthetic.py); an
organisation that is already there (same credit code, or same grid and name when it has none)
is skipped, so running again creates nothing. Rows go in with ``bulk_create``: no per-row
service calls and no change-history rows, which invented demo data does not need.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from wangge.core.identifiers import USCC_ALPHABET, uscc_check_character
from wangge.organisations.models import (
    SMALL_PLACE_KINDS,
    Inspection,
    InspectionResult,
    Organisation,
    OrgKind,
    RiskLevel,
)
from wangge.territory import synthetic as syn

STREAM = 1  # the random stream of organisations (components and devices use others)
INSPECTION_STREAM = 11

# 字号: two characters, the first from one list and the second from the other
TRADE_FIRST = list("恒鑫宏华金永联盛协嘉泰兴隆富源达昌顺丰荣德利通锦祥瑞发益创信佳新大天")
TRADE_SECOND = list("昌源达盛泰兴发隆丰华宇利通顺祥辉福晟鸿裕鑫诚美峰成安康和")

# trade → (product word for the name, industry text, risk weights low/general/larger/major)
TRADES = {
    "stone": (["石材", "石业", "石材工艺", "石雕工艺"], "石材加工", (45, 35, 16, 4)),
    "ceramics": (["陶瓷", "建材", "瓷业"], "建筑陶瓷制造", (50, 32, 14, 4)),
    "plumbing": (["水暖洁具", "卫浴", "阀门", "水暖器材"], "水暖卫浴制造", (55, 30, 12, 3)),
    "shoes": (["鞋业", "鞋材", "服饰", "箱包"], "制鞋与服装", (55, 32, 11, 2)),
    "food": (["食品", "茶叶", "农产品"], "食品加工", (65, 27, 7, 1)),
    "machinery": (["机械", "五金制品", "模具"], "机械制造", (55, 32, 11, 2)),
    "electronics": (["电子科技", "光电科技", "智能科技"], "电子信息", (70, 24, 5, 1)),
    "logistics": (["物流", "供应链", "运输"], "交通运输与物流", (65, 27, 7, 1)),
    "construction": (["建筑工程", "装饰工程", "建设"], "建筑业", (50, 32, 14, 4)),
    "chemicals": (["化工", "涂料", "新材料"], "化学原料及制品", (30, 35, 25, 10)),
}
TRADE_WEIGHTS = {"stone": 18, "ceramics": 10, "plumbing": 16, "shoes": 14, "food": 8,
                 "machinery": 10, "electronics": 8, "logistics": 7, "construction": 7,
                 "chemicals": 2}
# the township's own trade: half of its enterprises (水头/石井 stone, 仑苍 plumbing …)
TOWNSHIP_TRADES = {"水头": "stone", "石井": "stone", "官桥": "ceramics", "码头": "stone",
                   "仑苍": "plumbing", "英都": "plumbing", "美林": "plumbing", "溪美": "shoes",
                   "柳城": "shoes", "霞美": "shoes", "省新": "stone", "康美": "machinery",
                   "洪濑": "food", "丰州": "ceramics", "东田": "ceramics", "金淘": "food",
                   "诗山": "food", "梅山": "machinery"}

SHOP_WORDS = [("五金店", "五金零售"), ("建材商行", "建材批发零售"), ("水暖器材店", "水暖器材零售"),
              ("服装店", "服装零售"), ("手机店", "通讯器材零售"), ("茶行", "茶叶零售"),
              ("药店", "药品零售"), ("眼镜店", "眼镜零售"), ("家电商场", "家用电器零售"),
              ("石材经营部", "石材批发零售"), ("汽车维修部", "机动车维修"),
              ("电动车行", "电动车销售与维修"), ("美发店", "美容美发"), ("母婴店", "母婴用品零售")]
SMALL_SHOP_WORDS = [("便利店", "日用百货零售"), ("小卖部", "日用百货零售"),
                    ("杂货店", "日用百货零售"), ("烟酒店", "烟酒零售"), ("水果店", "水果零售"),
                    ("粮油店", "粮油零售")]
SECTORS = ["石材", "水暖", "陶瓷", "鞋服", "青年", "茶业", "餐饮", "建材", "总"]
COOPERATIVES = ["茶叶", "果蔬", "养殖", "花卉苗木", "食用菌", "农机"]
SMALL_RESTAURANT_WORDS = ["面线糊店", "牛肉羹店", "小吃店", "快餐店", "土笋冻店", "烧肉粽店",
                          "卤面馆", "沙县小吃", "早餐店", "排档"]
SMALL_WORKSHOP_WORDS = [("石材加工作坊", "石材加工"), ("豆腐坊", "食品加工"),
                        ("服装加工作坊", "服装加工"), ("木器加工坊", "木材加工"),
                        ("鞋面加工点", "制鞋"), ("五金加工作坊", "金属制品加工"),
                        ("茶叶加工作坊", "茶叶加工")]
SMALL_VENUE_WORDS = [("旅馆", "住宿"), ("宾馆", "住宿"), ("网吧", "互联网上网服务"),
                     ("KTV", "歌舞娱乐"), ("足浴店", "休闲保健"), ("棋牌室", "棋牌娱乐")]

# kind → (share of the organisations, risk weights low/general/larger/major)
KINDS = {
    OrgKind.ENTERPRISE: (40, None),  # per trade, see TRADES
    OrgKind.SHOP: (24, (80, 17, 3, 0)),
    OrgKind.SMALL_SHOP: (12, (75, 21, 4, 0)),
    OrgKind.SMALL_RESTAURANT: (10, (58, 31, 10, 1)),
    OrgKind.SMALL_WORKSHOP: (6, (45, 37, 15, 3)),
    OrgKind.SMALL_VENUE: (3, (55, 32, 12, 1)),
    OrgKind.SOCIAL: (3, (94, 6, 0, 0)),
    OrgKind.OTHER: (2, (90, 10, 0, 0)),
}
RISKS = [RiskLevel.LOW, RiskLevel.GENERAL, RiskLevel.LARGER, RiskLevel.MAJOR]
LICENSED_SMALL_PLACES = 0.65  # the other 三小场所 have no business licence (no credit code)

ISSUES = {
    "common": ["灭火器过期未更换", "消防通道堆放杂物", "电线私拉乱接", "安全出口指示灯损坏",
               "应急照明不亮", "员工安全培训记录缺失", "消防设施未定期检测"],
    OrgKind.ENTERPRISE: ["粉尘防护设施不到位", "危化品存放不规范", "特种作业人员无证上岗",
                         "机械设备防护罩缺失", "厂房内违规住人"],
    OrgKind.SMALL_RESTAURANT: ["燃气管道老化", "未安装燃气泄漏报警器", "液化气瓶存放在室内",
                               "油烟管道未清洗"],
    OrgKind.SMALL_WORKSHOP: ["“三合一”场所住人", "粉尘防护设施不到位", "违规使用明火"],
    OrgKind.SMALL_VENUE: ["“三合一”场所住人", "疏散通道被锁闭", "未落实住宿登记制度"],
}


def _org_code_check(body8: str) -> str:
    """The check character of a 9-character organisation code (GB 11714)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def credit_code(authority_type: str, region: str, body8: str) -> str:
    """An 18-character unified social credit code with both its check characters."""
    first17 = f"{authority_type}{region}{body8}{_org_code_check(body8)}"
    return first17 + uscc_check_character(first17)


_BODY_ALPHABET = np.array(list(USCC_ALPHABET))
_DIGITS = np.array(list("0123456789"))


def _bodies(rng, n: int, prefix: str) -> list[str]:
    """``n`` 8-character organisation-code bodies after ``prefix`` (MA, MJ …) — or 8 digits
    for older registrations when ``prefix`` is empty."""
    if prefix:
        chars = _BODY_ALPHABET[rng.integers(0, len(_BODY_ALPHABET), (n, 8 - len(prefix)))]
        return [prefix + "".join(row) for row in chars.tolist()]
    chars = _DIGITS[rng.integers(0, 10, (n, 8))]
    return ["".join(row) for row in chars.tolist()]


def _weighted(rng, n: int, weights) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), n, p=p / p.sum())


def generate(count: int, seed: int, sampler: syn.GridSampler) -> list[dict]:
    """The first ``count`` synthetic organisations (dicts of Organisation fields, plus
    ``grid_index`` and ``inspections``)."""
    region = sampler.county_code
    county = sampler.county_name
    kinds = list(KINDS)
    kind_weights = [KINDS[k][0] for k in kinds]
    trades = list(TRADES)
    trade_weights = [TRADE_WEIGHTS[t] for t in trades]
    used_names: set[str] = set()
    used_codes: set[str] = set()
    records: list[dict] = []
    for block, start, n in syn.blocks(count):
        rng = syn.block_rng(seed, STREAM, block)
        kind_idx = _weighted(rng, n, kind_weights)
        grids = sampler.pick(rng, n)
        lons, lats = sampler.points(grids, rng)
        trade_idx = _weighted(rng, n, trade_weights)
        own_trade = rng.random(n) < 0.5
        first = rng.integers(0, len(TRADE_FIRST), n).tolist()
        second = rng.integers(0, len(TRADE_SECOND), n).tolist()
        template = rng.integers(0, 100, n).tolist()
        pick = rng.integers(0, 1_000_000, n).tolist()
        roads = rng.choice(syn.ROADS, n).tolist()
        doors = rng.integers(1, 400, n).tolist()
        contacts = syn.person_names(rng, n)
        phones = syn.mobiles(rng, n)
        landline = rng.random(n) < 0.3
        licensed = rng.random(n) < LICENSED_SMALL_PLACES
        new_style = rng.random(n) < 0.8
        bodies_new = _bodies(rng, n, "MA")
        bodies_old = _bodies(rng, n, "")
        bodies_social = _bodies(rng, n, "MJ")
        bodies_village = _bodies(rng, n, "MF")
        risk_draw = rng.random(n)
        inspect_draw = rng.random(n)
        for i in range(n):
            kind = kinds[int(kind_idx[i])]
            g = int(grids[i])
            place = sampler.places[g]
            town = syn.short_township(place.township)
            trade = None
            if kind == OrgKind.ENTERPRISE:
                trade = trades[int(trade_idx[i])]
                if own_trade[i] and town in TOWNSHIP_TRADES:
                    trade = TOWNSHIP_TRADES[town]
            # the first name no earlier organisation has: another 字号 on each attempt
            for attempt in range(50):
                name, industry, authority, risks = _name(
                    kind, trade, county, town, place.village, first[i] + attempt,
                    second[i] + 3 * attempt, template[i], pick[i] + attempt, contacts[i][0])
                if name not in used_names:
                    break
            name = _unique(name, used_names)
            if kind in SMALL_PLACE_KINDS and licensed[i]:
                authority = "92"  # a licensed 个体工商户
            if authority.startswith("5"):  # registered with 民政
                body = bodies_social[i]
            elif authority.startswith("N"):  # with the agriculture department
                body = bodies_village[i]
            elif authority == "91" and not new_style[i]:  # before 2015: the old code
                body = bodies_old[i]
            else:
                body = bodies_new[i]
            code = credit_code(authority, region, body) if authority else ""
            if code:
                while code in used_codes:  # vanishingly rare; keep the code valid and unique
                    code = credit_code(code[:2], region, _next_body(code[8:16]))
                used_codes.add(code)
            risk = RISKS[_bucket(risk_draw[i], risks)]
            phone = (f"0595-86{pick[i] % 1_000_000:06d}" if landline[i] else phones[i])
            records.append({
                "kind": str(kind), "name": name[:150], "credit_code": code,
                "address": sampler.address(g, roads[i], doors[i]),
                "lon": float(lons[i]), "lat": float(lats[i]), "grid_id": place.grid_id,
                "industry": industry, "contact_name": contacts[i], "contact_phone": phone,
                "risk_level": str(risk), "grid_index": g, "number": start + i,
                "inspections": _inspection_count(risk, inspect_draw[i]),
            })
    return records[:count]


def _name(kind, trade, county, town, village, a, b, template, pick, surname):
    """``(name, industry, credit-code authority and type, risk weights)`` of one
    organisation; ``a`` and ``b`` choose the 字号, ``pick`` the words."""
    trade_name = TRADE_FIRST[a % len(TRADE_FIRST)] + TRADE_SECOND[b % len(TRADE_SECOND)]
    risks = KINDS[kind][1]
    # the owner's shop sign: 陈记, 阿明, 老陈, 陈明 …
    given = syn.GIVEN[pick % len(syn.GIVEN)]
    owner = (f"{surname}记", f"阿{given}", f"老{surname}", f"{surname}{given}")[pick // 7 % 4]
    if kind == OrgKind.ENTERPRISE:
        words, industry, risks = TRADES[trade]
        word = words[pick % len(words)]
        if template < 45:
            return f"{county}{town}{trade_name}{word}有限公司", industry, "91", risks
        if template < 85:
            return f"{county}{trade_name}{word}有限公司", industry, "91", risks
        if template < 93:
            return f"福建{trade_name}{word}股份有限公司", industry, "91", risks
        return f"{county}{town}{trade_name}{word}厂", industry, "91", risks
    if kind == OrgKind.SHOP:
        word, industry = SHOP_WORDS[pick % len(SHOP_WORDS)]
        return f"{county}{town}{trade_name}{word}", industry, "92", risks
    if kind == OrgKind.SMALL_SHOP:
        word, industry = SMALL_SHOP_WORDS[pick % len(SMALL_SHOP_WORDS)]
        name = f"{village}{trade_name}{word}" if template < 60 else f"{owner}{word}"
        return name, industry, "", risks
    if kind == OrgKind.SMALL_RESTAURANT:
        word = SMALL_RESTAURANT_WORDS[pick % len(SMALL_RESTAURANT_WORDS)]
        name = f"{owner}{word}" if template < 55 else f"{town}{trade_name}{word}"
        return name, "餐饮", "", risks
    if kind == OrgKind.SMALL_WORKSHOP:
        word, industry = SMALL_WORKSHOP_WORDS[pick % len(SMALL_WORKSHOP_WORDS)]
        return f"{village}{trade_name}{word}", industry, "", risks
    if kind == OrgKind.SMALL_VENUE:
        word, industry = SMALL_VENUE_WORDS[pick % len(SMALL_VENUE_WORDS)]
        return f"{town}{trade_name}{word}", industry, "", risks
    if kind == OrgKind.SOCIAL:  # 51 社会团体, 52 民办非企业单位, 53 基金会
        variant = (template + pick) % 6
        if variant == 0:
            return f"{village}老年人协会", "社会服务", "51", risks
        if variant == 1:
            sector = SECTORS[pick % len(SECTORS)]
            return f"{county}{town}{sector}商会", "社会服务", "51", risks
        if variant == 2:
            return f"{county}{trade_name}社会工作服务中心", "社会服务", "52", risks
        if variant == 3:
            return f"{county}{town}{trade_name}幼儿园", "学前教育", "52", risks
        if variant == 4:
            return f"{village}志愿者协会", "社会服务", "51", risks
        return f"{county}{trade_name}慈善基金会", "社会服务", "53", risks
    # other: the village's collective (N2, 农业部门) or a farmers' cooperative (93)
    if (template + pick) % 3 == 0:
        return f"{county}{town}{village}股份经济合作社", "农村集体经济", "N2", risks
    product = COOPERATIVES[pick % len(COOPERATIVES)]
    return f"{county}{town}{trade_name}{product}专业合作社", "农民专业合作社", "93", risks


def _bucket(draw: float, weights) -> int:
    total = sum(weights)
    edge = 0.0
    for k, w in enumerate(weights):
        edge += w / total
        if draw < edge:
            return k
    return len(weights) - 1


def _next_body(body: str) -> str:
    digits = [USCC_ALPHABET.index(c) % 10 for c in body]
    value = (int("".join(map(str, digits))) + 1) % 10**8
    return f"{value:08d}"


def _inspection_count(risk: str, draw: float) -> int:
    """Low risk: none; general: one, for about half; larger: 2–3; major: 3–5."""
    if risk == RiskLevel.GENERAL:
        return int(draw < 0.5)
    if risk == RiskLevel.LARGER:
        return 2 + int(draw < 0.5)
    if risk == RiskLevel.MAJOR:
        return 3 + int(draw * 3)
    return 0


def _unique(name: str, used: set[str]) -> str:
    """The name, or with a branch number when an earlier organisation has it already."""
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = (name.replace("有限公司", f"有限公司第{n}分公司") if name.endswith("有限公司")
                     else f"{name}（{n}店）")
    used.add(candidate)
    return candidate


def _inspectors(sampler: syn.GridSampler) -> tuple[dict[int, int], list[int]]:
    """The grid worker of each grid (full-time before the others) and the handlers of the
    emergency, market and fire departments (who inspect the riskier places as well); when
    there are neither, an administrator."""
    from wangge.accounts.choices import Role
    from wangge.accounts.models import User
    from wangge.territory.models import GridStaff

    per_grid: dict[int, int] = {}
    rank = {"full_time": 0, "leader": 1}
    for grid_id, user_id, _post in sorted(
            GridStaff.objects.filter(user__is_active=True)
            .values_list("grid_id", "user_id", "post"),
            key=lambda row: (row[0], rank.get(row[2], 2), row[1])):
        per_grid.setdefault(grid_id, user_id)
    departments = list(User.objects.filter(
        role=Role.DEPARTMENT, is_active=True,
        department__kind__in=["emergency", "market", "fire"]).order_by("username")
        .values_list("pk", flat=True))
    if not departments and not per_grid:
        departments = list(User.objects.filter(is_superuser=True).order_by("pk")
                           .values_list("pk", flat=True)[:1])
    return per_grid, departments


def _inspection_rows(org_id: int, record: dict, rng, inspectors: list[int],
                     today: dt.date) -> list[dict]:
    """``record['inspections']`` inspections over the last 18 months, the oldest first, each
    by one of ``inspectors``; the riskier the organisation, the more often problems were
    found."""
    count = record["inspections"]
    ages = np.sort(rng.integers(3, 540, count))[::-1]
    problem_share = {"general": 0.25, "larger": 0.45, "major": 0.6}.get(record["risk_level"], 0.2)
    pool = ISSUES["common"] + ISSUES.get(record["kind"], [])
    rows = []
    for age in ages.tolist():
        date = today - dt.timedelta(days=age)
        inspector_id = inspectors[int(rng.integers(0, len(inspectors)))]
        if rng.random() >= problem_share:
            rows.append({"organisation_id": org_id, "date": date, "inspector_id": inspector_id,
                         "result": InspectionResult.PASSED.value, "issues": "",
                         "follow_up_date": None, "recorded_by_id": None})
            continue
        heavy = rng.random()
        if heavy < 0.06 and record["kind"] in (OrgKind.SMALL_WORKSHOP, OrgKind.SMALL_VENUE):
            result = InspectionResult.CLOSED
        elif heavy < 0.15:
            result = InspectionResult.SUSPENDED
        else:
            result = InspectionResult.RECTIFY
        chosen = rng.choice(len(pool), size=min(len(pool), 1 + int(rng.integers(0, 3))),
                            replace=False)
        # the follow-up check may still be ahead
        follow = date + dt.timedelta(days=int(rng.integers(7, 31))) \
            if result != InspectionResult.CLOSED else None
        rows.append({"organisation_id": org_id, "date": date, "inspector_id": inspector_id,
                     "result": result.value, "issues": "；".join(pool[k] for k in chosen),
                     "follow_up_date": follow, "recorded_by_id": None})
    return rows


@transaction.atomic
def create_organisations(count: int, seed: int, sampler: syn.GridSampler | None = None) -> dict:
    """Makes sure the first ``count`` synthetic organisations exist; returns the counts."""
    sampler = sampler or syn.GridSampler()
    records = generate(count, seed, sampler)
    codes = {c for c in Organisation.objects.exclude(credit_code="")
             .values_list("credit_code", flat=True)}
    named = set(Organisation.objects.filter(credit_code="").values_list("grid_id", "name"))

    def exists(record: dict) -> bool:
        if record["credit_code"]:
            return record["credit_code"] in codes
        return (record["grid_id"], record["name"]) in named

    fresh = [r for r in records if not exists(r)]
    fields = ("kind", "name", "credit_code", "address", "lon", "lat", "grid_id", "industry",
              "contact_name", "contact_phone", "risk_level")
    before = syn.bulk_insert(Organisation, [{f: r[f] for f in fields} for r in fresh])
    ids = {(grid_id, name): pk for pk, grid_id, name in Organisation.objects.filter(
        pk__gt=before).values_list("pk", "grid_id", "name")}
    per_grid, departments = _inspectors(sampler)
    today = timezone.localdate()
    inspections = []
    for record in fresh:
        if not record["inspections"]:
            continue
        # the grid worker; for the riskier places the departments' inspectors too
        grid_id = record["grid_id"]
        inspectors = [per_grid[grid_id]] if grid_id in per_grid else []
        if record["risk_level"] in (RiskLevel.LARGER, RiskLevel.MAJOR) or not inspectors:
            inspectors += departments
        if inspectors:
            rng = syn.block_rng(seed, INSPECTION_STREAM, record["number"])
            inspections += _inspection_rows(ids[(grid_id, record["name"])], record, rng,
                                            inspectors, today)
    syn.bulk_insert(Inspection, inspections)
    return {"organisations": len(fresh), "existing": len(records) - len(fresh),
            "inspections": len(inspections)}
