"""Free-text Chinese addresses: parse into parts, then fuzzy-match to standard addresses.

Parsing: the text is normalised (full-width → half-width through NFKC, spaces dropped, Chinese
numerals before 栋/幢/单元/号楼 turned into digits, 幢/座/号楼 → 栋). jieba, with the names of
the areas in the territory (and their short forms without 市/县/区/街道/镇/乡/社区/村/居委会)
added to its dictionary, splits the leading part into words; words naming areas give the
county, township and village. Regular expressions then take the road (…路/街/大道/巷/弄/道),
the door number (…号), the building (…栋), the unit (…单元) and the room (…室 or a trailing
number).

Matching: standard addresses in the areas named (or all, when none is named), whose road is
close to the parsed road (rapidfuzz), are scored on their parts: the road's similarity and
exact equality of door number, building, unit and room, weighted; an area named in the text that
is not the candidate's own is a penalty. The score is 0–100; at or above ``threshold`` (setting
``PLACES_MATCH_THRESHOLD``, 90 by default) the match is accepted, below it goes to review.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import asdict, dataclass, field

from django.conf import settings
from rapidfuzz import fuzz, process

from wangge.territory.choices import Level

ROAD_SUFFIXES = ("大道", "大街", "路", "街", "巷", "弄", "道")
AREA_SUFFIXES = ("居民委员会", "村民委员会", "居委会", "村委会", "街道", "社区", "市", "县",
                 "区", "镇", "乡", "村")
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
CN_NUMBER = re.compile(r"([零〇一二两三四五六七八九十]{1,3})(?=栋|幢|座|号楼|单元|层|室)")
SEPARATORS = "-－—_#,，、·.()（）"
WEIGHTS = {"road": 40.0, "door_number": 30.0, "building_no": 15.0, "unit_no": 8.0,
           "room_no": 7.0}
AREA_PENALTY = 30.0


def threshold() -> float:
    return float(getattr(settings, "PLACES_MATCH_THRESHOLD", 90))


@dataclass
class ParsedAddress:
    text: str = ""  # the normalised text
    county: str = ""
    township: str = ""
    village: str = ""
    area_codes: list[str] = field(default_factory=list)  # areas named, most specific last
    road: str = ""
    door_number: str = ""
    estate: str = ""
    building_no: str = ""
    unit_no: str = ""
    room_no: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def key(self) -> str:
        return canonical(self.road, self.door_number, self.building_no, self.unit_no,
                         self.room_no)


def canonical(road, door_number, building_no="", unit_no="", room_no="") -> str:
    text = f"{road}{door_number}号" if door_number else road
    if building_no:
        text += f"{building_no}栋"
    if unit_no:
        text += f"{unit_no}单元"
    if room_no:
        text += f"{room_no}室"
    return text


def _cn_to_int(text: str) -> int:
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones
                                                                else 0)
    value = 0
    for ch in text:
        value = value * 10 + CN_DIGITS[ch]
    return value


def normalize(text: str) -> str:
    """Half-width, no spaces, Chinese numerals as digits, one word for a building."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", "", text).upper()
    text = CN_NUMBER.sub(lambda m: str(_cn_to_int(m.group(1))), text)
    text = re.sub(r"(?<=[0-9A-Z])(?:号楼|幢|座|栋楼)", "栋", text)
    text = re.sub(r"(?<=\d)(?:号房|房)$", "室", text)
    return text


def short_name(name: str) -> str:
    for suffix in AREA_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


# --- the area dictionary (names → areas), rebuilt when the territory changes ------------------
class _Gazetteer:
    def __init__(self):
        self.lock = threading.Lock()
        self.version = None
        self.names: dict[str, list[tuple[str, int]]] = {}  # name → [(code, level)]
        self.tokenizer = None

    def load(self):
        from django.db.models import Count, Max

        from wangge.territory.locate import current_version
        from wangge.territory.models import Area

        version = (current_version(), *Area.objects.aggregate(Max("pk"), Count("pk")).values())
        with self.lock:
            if self.tokenizer is not None and version == self.version:
                return self
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            names: dict[str, list[tuple[str, int]]] = {}
            for code, name, level in Area.objects.filter(
                    level__in=[Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]).values_list(
                    "code", "name", "level"):
                for form in {name, short_name(name)}:
                    names.setdefault(form, []).append((code, level))
            tokenizer = jieba.Tokenizer()
            for form in names:
                tokenizer.add_word(form, freq=100000)
            self.names, self.tokenizer, self.version = names, tokenizer, version
        return self


GAZETTEER = _Gazetteer()


def parse(text: str) -> ParsedAddress:
    """The parts of a free-text address."""
    from wangge.territory.models import Area

    gazetteer = GAZETTEER.load()
    norm = normalize(text)
    result = ParsedAddress(text=norm)
    # a province and a city that are not areas of the territory are skipped
    m = re.match(r"^[\u4e00-\u9fff]{2,7}?(?:省|自治区)", norm)
    if m:
        norm = norm[m.end():]
    m = re.match(r"^[\u4e00-\u9fff]{2,6}?市", norm)
    if m and m.group(0) not in gazetteer.names and any(
            norm[m.end():].startswith(name) for name in gazetteer.names):
        norm = norm[m.end():]
    result.text = norm
    # the divisions: leading words that name areas (province and city names are skipped)
    codes: list[tuple[str, int]] = []
    consumed = 0
    for word in gazetteer.tokenizer.lcut(norm, HMM=False):
        if not word.strip(SEPARATORS):
            consumed += len(word)
            continue
        hits = gazetteer.names.get(word)
        following = norm[consumed + len(word):]
        if hits and codes:  # a later name must lie inside (or around) the earlier ones
            hits = [h for h in hits if all(any(_inside(h[0], c) or _inside(c, h[0])
                                               for c, _ in earlier) for earlier in codes)]
        if hits and not re.match(r"(?:大道|大街|[路街巷弄道])", following):
            codes.append(hits)  # (a short name right before 路 is the road's, not an area's)
            consumed += len(word)
            continue
        break
    rest = norm[consumed:]
    chosen = _choose_areas(codes)
    if chosen:
        areas = {a.code: a for a in Area.objects.filter(code__in=chosen)}
        for code in chosen:
            area = areas.get(code)
            if area is None:
                continue
            result.area_codes.append(code)
            if area.level == Level.COUNTY:
                result.county = area.name
            elif area.level == Level.TOWNSHIP:
                result.township = area.name
            elif area.level == Level.VILLAGE:
                result.village = area.name
    _parse_rest(rest.lstrip(SEPARATORS), result)
    return result


def _choose_areas(candidates: list[list[tuple[str, int]]]) -> list[str]:
    """From each named word's possible areas, the ones consistent with each other (a later
    name inside an earlier one), ordered from the widest."""
    chosen: list[tuple[str, int]] = []
    for hits in candidates:
        pick = None
        for code, level in sorted(hits, key=lambda h: h[1]):
            if all(_inside(code, c) or _inside(c, code) for c, _ in chosen):
                pick = (code, level)
                break
        if pick is None:
            pick = hits[0]
        chosen.append(pick)
    return [c for c, _ in sorted(chosen, key=lambda h: h[1])]


def _inside(code: str, outer: str) -> bool:
    prefix = outer.rstrip("0")
    return code.startswith(prefix) if prefix else True


ROAD_RE = re.compile(r"^(.*?(?:大道|大街|路|街|巷|弄|道))(?=[0-9A-Z]|$|[东西南北中]段)")
DASH_RE = re.compile(r"^(\d+)[-](\w+?)[-](\d+)[-](\d+)$")


def _parse_rest(rest: str, result: ParsedAddress) -> None:
    m = ROAD_RE.match(rest)
    if m is None:  # a mistyped suffix: the words before the first number
        m = re.match(r"^([\u4e00-\u9fff]{2,30}?)(?=\d)", rest)
    if m:
        result.road = m.group(1)
        rest = rest[m.end():]
    rest = rest.lstrip(SEPARATORS)
    m = DASH_RE.match(rest)  # 12-3-2-301: door, building, unit, room
    if m:
        result.door_number, result.building_no, result.unit_no, result.room_no = m.groups()
        return
    m = re.match(r"(\d+(?:之\d+)?)号", rest) or re.match(r"(\d+)(?=[-,，]|$)", rest)
    if m:
        result.door_number = m.group(1)
        rest = rest[m.end():].lstrip(SEPARATORS)
    m = re.match(r"([^0-9A-Z]{2,20}?)(?=[0-9A-Z]+栋)", rest)
    if m:
        result.estate = m.group(1)
        rest = rest[m.end():]
    m = re.match(r"([0-9A-Z]+)栋", rest)
    if m:
        result.building_no = m.group(1)
        rest = rest[m.end():].lstrip(SEPARATORS)
    m = re.match(r"(\d+)单元", rest)
    if m:
        result.unit_no = m.group(1)
        rest = rest[m.end():].lstrip(SEPARATORS)
    m = re.match(r"(\d+)(?:室|号)?$", rest)
    if m:
        result.room_no = m.group(1)


# --- matching -----------------------------------------------------------------------------
@dataclass
class Match:
    parsed: ParsedAddress
    candidate: object | None  # an Address
    score: float

    @property
    def accepted(self) -> bool:
        return self.candidate is not None and self.score >= threshold()


def score(parsed: ParsedAddress, address, road_similarity: float | None = None) -> float:
    if road_similarity is None:
        road_similarity = fuzz.ratio(parsed.road, address.road)
    total = WEIGHTS["road"] * road_similarity / 100
    for part in ("door_number", "building_no", "unit_no", "room_no"):
        mine, theirs = getattr(parsed, part), getattr(address, part)
        if mine == theirs:
            total += WEIGHTS[part]
    value = 100 * total / sum(WEIGHTS.values())
    if parsed.area_codes:
        prefix = address.area.prefix
        if not all(prefix.startswith(_area_prefix(code)) for code in parsed.area_codes):
            value -= AREA_PENALTY
    return round(max(value, 0.0), 1)


def _area_prefix(code: str) -> str:
    from wangge.territory.models import Area

    area = Area.objects.filter(code=code).only("prefix").first()
    return area.prefix if area else code


def match(text: str, queryset=None, limit_roads: int = 5) -> Match:
    """The best standard address for a free-text address, with its score."""
    from wangge.places.models import Address

    parsed = parse(text)
    addresses = Address.objects.all() if queryset is None else queryset
    if parsed.area_codes:
        from wangge.territory.models import Area

        widest = Area.objects.filter(code=parsed.area_codes[0]).first()
        if widest is not None:
            # the widest area named: a wrong village name should still find its address
            addresses = addresses.filter(area__prefix__startswith=widest.prefix[:6])
    if not parsed.road:
        return Match(parsed, None, 0.0)
    roads = list(addresses.values_list("road", flat=True).distinct()[:20000])
    close = process.extract(parsed.road, roads, scorer=fuzz.ratio, limit=limit_roads,
                            score_cutoff=50)
    best, best_score = None, 0.0
    for road, similarity, _index in close:
        for address in addresses.filter(road=road).select_related("area")[:2000]:
            value = score(parsed, address, similarity)
            if value > best_score or (value == best_score and best is not None
                                      and address.pk < best.pk):
                best, best_score = address, value
    return Match(parsed, best, best_score)
