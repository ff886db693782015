"""State changes of the territory. Views, the admin and commands call these, nothing else."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

from wangge.territory import codes, geo, locate
from wangge.territory.choices import LEVEL_BY_SLUG, LEVEL_SLUGS, UNIT_GRID_LEVELS, Level
from wangge.territory.models import Area, GridStaff, TerritoryVersion

CORE_PROPERTIES = ("code", "name", "level", "parent_code", "valid_from", "valid_to")
# How problem messages name an area of each level ("overlaps township 350583002000").
LEVEL_WORDS = {
    Level.COUNTY: "county",
    Level.TOWNSHIP: "township",
    Level.VILLAGE: "village",
    Level.GRID: "grid",
    Level.SUBGRID: "second-level grid",
}


# --- version counter -----------------------------------------------------------------------
def bump_version() -> None:
    """Tell every process that the grids changed (their index rebuilds on the next check)."""
    updated = TerritoryVersion.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:
        TerritoryVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    transaction.on_commit(locate.invalidate)
    locate.invalidate()


# --- problems ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where (feature index, property) and what."""

    feature: int | None
    property: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.feature is not None:
            where.append(f"feature {self.feature}")
        if self.property:
            where.append(f"property '{self.property}'")
        return (", ".join(where) + ": " if where else "") + self.message


class TerritoryImportError(Exception):
    def __init__(self, problems: list[Problem], source: str = ""):
        self.problems = problems
        self.source = source
        head = f"{source}: " if source else ""
        super().__init__(
            f"{head}{len(problems)} problem(s); nothing was imported:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass
class _Feature:
    index: int
    code: str
    name: str
    level: Level
    parent_code: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    geometry_json: dict | None
    geometry: object | None
    attributes: dict = field(default_factory=dict)
    pk: int | None = None  # the database row this feature replaces, when known


@dataclass
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


# --- parsing -------------------------------------------------------------------------------
def _parse_date(value, index: int, prop: str, problems: list[Problem]) -> dt.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        problems.append(Problem(index, prop, f"expected a date YYYY-MM-DD, got {value!r}"))
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(index, prop, f"{value!r} is not a date in the form YYYY-MM-DD"))
        return None


def _check_coordinates(coords_list, index: int, problems: list[Problem]) -> bool:
    """Every position is [lon, lat] with numbers in range; rings are closed with ≥ 4 points."""

    def positions(rings):
        for ring_no, ring in enumerate(rings):
            if not isinstance(ring, list) or len(ring) < 4:
                problems.append(Problem(index, "geometry", f"ring {ring_no} needs at least 4 "
                                        "positions (a closed ring)"))
                return False
            for pos in ring:
                if (not isinstance(pos, list) or len(pos) < 2
                        or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                   for v in pos[:2])):
                    problems.append(Problem(index, "geometry",
                                            f"position {pos!r} is not [longitude, latitude]"))
                    return False
                lon, lat = pos[0], pos[1]
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    problems.append(Problem(
                        index, "geometry",
                        f"position [{lon}, {lat}] is out of range: longitude must be -180..180 "
                        "and latitude -90..90 (are they swapped?)"))
                    return False
            if ring[0][:2] != ring[-1][:2]:
                problems.append(Problem(index, "geometry",
                                        f"ring {ring_no} is not closed (first ≠ last position)"))
                return False
        return True

    return all(positions(polygon) for polygon in coords_list)


def _parse_geometry(raw, index: int, problems: list[Problem]):
    if raw is None:
        return None, None
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw.get("type") if isinstance(raw, dict) else type(raw).__name__
        problems.append(Problem(index, "geometry",
                                f"expected a Polygon or MultiPolygon, got {kind!r}"))
        return None, None
    coordinates = raw.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        problems.append(Problem(index, "geometry", "missing coordinates"))
        return None, None
    polygons = [coordinates] if raw["type"] == "Polygon" else coordinates
    if not all(isinstance(p, list) and p for p in polygons):
        problems.append(Problem(index, "geometry", "malformed coordinates"))
        return None, None
    if not _check_coordinates(polygons, index, problems):
        return None, None
    try:
        geometry = shape(raw)
    except Exception as exc:  # shapely raises several types for malformed input
        problems.append(Problem(index, "geometry", f"unreadable polygon: {exc}"))
        return None, None
    if not geometry.is_valid:
        reason = explain_validity(geometry)
        problems.append(Problem(index, "geometry", f"invalid polygon: {reason}"))
        return None, None
    if geometry.is_empty or geometry.area == 0:
        problems.append(Problem(index, "geometry", "the polygon is empty"))
        return None, None
    return raw, geometry


def parse_feature_collection(data) -> tuple[list[_Feature], list[Problem]]:
    features, problems, _ = _parse(data)
    return features, problems


def _parse(data) -> tuple[list[_Feature], list[Problem], set[str]]:
    """Features that parsed, problems, and the codes of features that failed to parse."""
    problems: list[Problem] = []
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            return [], [Problem(None, "", f"not valid JSON: {exc.msg} at line {exc.lineno}, "
                                          f"column {exc.colno}")], set()
        except UnicodeDecodeError as exc:
            return [], [Problem(None, "", f"not UTF-8 text: {exc}")], set()
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return [], [Problem(None, "type", "expected a GeoJSON FeatureCollection")], set()
    raw_features = data.get("features")
    if not isinstance(raw_features, list):
        return [], [Problem(None, "features", "expected a list of features")], set()
    features: list[_Feature] = []
    failed_codes: set[str] = set()
    first_index: dict[str, int] = {}  # raw code → the first feature that carries it
    for index, raw in enumerate(raw_features):
        if not isinstance(raw, dict) or raw.get("type") != "Feature":
            problems.append(Problem(index, "type", "expected a GeoJSON Feature"))
            continue
        props = raw.get("properties")
        if not isinstance(props, dict):
            problems.append(Problem(index, "properties", "expected an object of properties"))
            continue
        before = len(problems)
        code = props.get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if isinstance(code, str) and code:
            # duplicates are found over the raw codes, so a copy that fails for another reason
            # (or whose code is malformed) is still reported as a duplicate
            if code in first_index:
                problems.append(Problem(index, "code", f"duplicate code {code} (also feature "
                                        f"{first_index[code]})"))
            else:
                first_index[code] = index
        problem = codes.code_problem(code)
        if problem:
            problems.append(Problem(index, "code", problem))
        name = props.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(index, "name", "missing name"))
        elif len(name.strip()) > 100:
            problems.append(Problem(index, "name", "name is longer than 100 characters"))
        level = codes.level_of(code) if not problem else None
        declared_level = props.get("level")
        if declared_level not in (None, ""):
            if declared_level not in LEVEL_BY_SLUG:
                problems.append(Problem(index, "level", f"unknown level {declared_level!r}; "
                                        f"expected one of {', '.join(LEVEL_BY_SLUG)}"))
            elif level is not None and LEVEL_BY_SLUG[declared_level] != level:
                problems.append(Problem(index, "level", f"level {declared_level!r} does not "
                                        f"match code {code} (a {LEVEL_SLUGS[level]} code)"))
        parent_code = codes.parent_code_of(code) if level else None
        declared_parent = props.get("parent_code")
        if (declared_parent not in (None, "") and level is not None
                and str(declared_parent) != (parent_code or "")):
            expected = parent_code or "none (a county is the root)"
            problems.append(Problem(
                index, "parent_code",
                f"parent code {declared_parent} is not a prefix of code {code}; "
                f"expected {expected}"))
        valid_from = _parse_date(props.get("valid_from"), index, "valid_from", problems)
        valid_to = _parse_date(props.get("valid_to"), index, "valid_to", problems)
        if valid_from and valid_to and valid_to < valid_from:
            problems.append(Problem(index, "valid_to", f"valid_to {valid_to} is before "
                                                       f"valid_from {valid_from}"))
        geometry_json, geometry = _parse_geometry(raw.get("geometry"), index, problems)
        if level in UNIT_GRID_LEVELS and raw.get("geometry") is None:
            problems.append(Problem(index, "geometry", "a grid needs a polygon"))
        if len(problems) > before:
            if isinstance(code, str):
                failed_codes.add(code)
            continue
        attributes = {k: v for k, v in props.items() if k not in CORE_PROPERTIES}
        features.append(_Feature(index, code, name.strip(), level, parent_code, valid_from,
                                 valid_to, geometry_json, geometry, attributes))
    return features, problems, failed_codes


# --- consistency checks --------------------------------------------------------------------
def _significant(piece, lat: float) -> float:
    """The area in m² of an overlap (or of a part outside the parent), or 0 when it is noise.

    Noise is either tiny (≤ OVERLAP_TOLERANCE_M2) or a thin sliver along a border (mean width
    ≤ OVERLAP_TOLERANCE_WIDTH_M), as left by digitising the same line twice.
    """
    if piece.is_empty:
        return 0.0
    factor = geo.degrees_to_m2_factor(lat)
    m2 = piece.area * factor
    if m2 <= settings.WANGGE["OVERLAP_TOLERANCE_M2"]:
        return 0.0
    perimeter_m = piece.length * factor ** 0.5
    if perimeter_m and 2 * m2 / perimeter_m <= settings.WANGGE["OVERLAP_TOLERANCE_WIDTH_M"]:
        return 0.0
    return m2


def _level_word(code: str) -> str:
    level = codes.level_of(code)
    return LEVEL_WORDS[level] if level is not None else "area"


def _periods_overlap(a_from, a_to, b_from, b_to) -> bool:
    """Whether two validity periods (inclusive dates; None is an open end) share a day."""
    return (a_from is None or b_to is None or a_from <= b_to) and (
        b_from is None or a_to is None or b_from <= a_to)


def _check_tree(features: list[_Feature], problems: list[Problem],
                failed_codes: frozenset[str] | set[str] = frozenset()) -> None:
    # duplicates are reported by _parse, which keeps only the first copy of a code
    by_code: dict[str, _Feature] = {}
    for feature in features:
        by_code.setdefault(feature.code, feature)
    missing_pk = [f.code for f in by_code.values() if f.pk is None]
    if missing_pk:
        known = dict(Area.objects.filter(code__in=missing_pk).values_list("code", "pk"))
        for code, pk in known.items():
            by_code[code].pk = pk
    parent_codes = {f.parent_code for f in features if f.parent_code} - set(by_code)
    existing = {a.code: a for a in Area.objects.filter(code__in=parent_codes)}
    existing_geoms = {code: shape(a.geometry) if a.geometry else None
                      for code, a in existing.items()}
    for feature in features:
        if feature.parent_code is None:
            continue
        if feature.parent_code in failed_codes:
            continue  # its parent's own problem is reported already
        if feature.parent_code not in by_code and feature.parent_code not in existing:
            problems.append(Problem(feature.index, "parent_code", f"unknown parent code "
                                    f"{feature.parent_code}: not in this file nor in the database"))
            continue
        parent_geom = (by_code[feature.parent_code].geometry if feature.parent_code in by_code
                       else existing_geoms.get(feature.parent_code))
        if parent_geom is not None and feature.geometry is not None:
            outside = feature.geometry.difference(parent_geom)
            m2 = _significant(outside, feature.geometry.centroid.y)
            if m2:
                problems.append(Problem(
                    feature.index, "geometry",
                    f"{feature.code} lies {m2:,.0f} m² outside its parent {feature.parent_code}"))
    file_pks = [f.pk for f in by_code.values() if f.pk is not None]
    _check_database_children(by_code, file_pks, problems)
    _check_overlaps(by_code, file_pks, problems)


def _check_database_children(by_code: dict[str, _Feature], file_pks: list[int],
                             problems: list[Problem]) -> None:
    """A parent redrawn by the file must still hold its children that the file leaves alone."""
    redrawn = {f.pk: f for f in by_code.values() if f.pk is not None and f.geometry is not None}
    if not redrawn:
        return
    children = (Area.objects.filter(parent_id__in=list(redrawn)).exclude(pk__in=file_pks)
                .exclude(geometry=None).order_by("code"))
    for child in children:
        parent = redrawn[child.parent_id]
        geometry = shape(child.geometry)
        m2 = _significant(geometry.difference(parent.geometry), geometry.centroid.y)
        if m2:
            problems.append(Problem(
                parent.index, "geometry",
                f"{_level_word(child.code)} {child.code} (the database) would lie {m2:,.0f} m² "
                f"outside the new boundary of {parent.code}"))


def _check_overlaps(by_code: dict[str, _Feature], file_pks: list[int],
                    problems: list[Problem]) -> None:
    """Siblings (same parent) valid at the same time must not overlap beyond the tolerance,
    in the file or in the DB. Database rows the file replaces are left out by primary key."""
    siblings: dict[str | None, list[tuple]] = {}
    for feature in by_code.values():
        if feature.geometry is not None:
            siblings.setdefault(feature.parent_code, []).append(
                (feature.code, feature.geometry, feature.index, feature.valid_from,
                 feature.valid_to))
    parents = [p for p in siblings if p]
    for area in Area.objects.filter(parent__code__in=parents).exclude(
            pk__in=file_pks).exclude(geometry=None).select_related("parent"):
        siblings[area.parent.code].append(
            (area.code, shape(area.geometry), None, area.valid_from, area.valid_to))
    for group in siblings.values():
        if len(group) < 2:
            continue
        geometries = [entry[1] for entry in group]
        tree = shapely.STRtree(geometries)
        left, right = tree.query(geometries, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i >= j:
                continue
            code_i, geom_i, index_i, from_i, to_i = group[i]
            code_j, geom_j, index_j, from_j, to_j = group[j]
            if index_i is None and index_j is None:
                continue  # two database rows: not this file's business
            if not _periods_overlap(from_i, to_i, from_j, to_j):
                continue  # one replaces the other: they are never valid on the same day
            m2 = _significant(geom_i.intersection(geom_j), geom_i.centroid.y)
            if not m2:
                continue
            if index_i is None:  # report on the file's feature
                code_i, code_j, index_i, index_j = code_j, code_i, index_j, index_i
            where = f"feature {index_j}" if index_j is not None else "the database"
            problems.append(Problem(
                index_i, "geometry",
                f"{code_i} overlaps {_level_word(code_j)} {code_j} ({where}) by {m2:,.0f} m²"))


# --- import / export -----------------------------------------------------------------------
@transaction.atomic
def import_territory(data, *, actor=None, source: str = "") -> ImportResult:
    """Import a FeatureCollection of areas: all or nothing. Raises TerritoryImportError."""
    features, problems, failed_codes = _parse(data)
    _check_tree(features, problems, failed_codes)
    if problems:
        problems.sort(key=lambda p: (p.feature if p.feature is not None else -1, p.property))
        raise TerritoryImportError(problems, source)
    features.sort(key=lambda f: (f.level, f.code))
    existing = {a.code: a for a in Area.objects.filter(code__in=[f.code for f in features])}
    known_ids = dict(Area.objects.filter(
        code__in={f.parent_code for f in features if f.parent_code}).values_list("code", "id"))
    created = updated = 0
    for level in sorted({f.level for f in features}):
        to_create, to_update = [], []
        for feature in (f for f in features if f.level == level):
            area = existing.get(feature.code) or Area(code=feature.code)
            area.prefix = codes.prefix_of(feature.code)
            area.name = feature.name
            area.level = feature.level
            area.parent_id = known_ids.get(feature.parent_code) if feature.parent_code else None
            area.valid_from = feature.valid_from
            area.valid_to = feature.valid_to
            area.attributes = feature.attributes
            _set_geometry(area, feature.geometry_json, feature.geometry)
            (to_update if area.pk else to_create).append(area)
        Area.objects.bulk_create(to_create, batch_size=500)
        Area.objects.bulk_update(
            to_update,
            ["prefix", "name", "level", "parent", "valid_from", "valid_to", "attributes",
             "geometry", "area_km2", "centroid_lon", "centroid_lat"],
            batch_size=500,
        )
        created += len(to_create)
        updated += len(to_update)
        known_ids.update(Area.objects.filter(
            code__in=[a.code for a in to_create]).values_list("code", "id"))
        known_ids.update({a.code: a.pk for a in to_update})
    bump_version()
    return ImportResult(created, updated)


def _set_geometry(area: Area, geometry_json, geometry) -> None:
    area.geometry = geometry_json
    if geometry is None:
        area.area_km2 = area.centroid_lon = area.centroid_lat = None
        return
    area.area_km2 = round(geo.area_km2(geometry), 6)
    point = geometry.representative_point() if not geometry.centroid.within(geometry) \
        else geometry.centroid
    area.centroid_lon = round(point.x, 7)
    area.centroid_lat = round(point.y, 7)


def feature_of(area: Area, parent_code: str | None) -> dict:
    properties = {
        "code": area.code,
        "name": area.name,
        "level": LEVEL_SLUGS[Level(area.level)],
        "parent_code": parent_code,
        "valid_from": area.valid_from.isoformat() if area.valid_from else None,
        "valid_to": area.valid_to.isoformat() if area.valid_to else None,
    }
    properties.update(area.attributes or {})
    return {"type": "Feature", "properties": properties, "geometry": area.geometry}


def export_territory(*, root: Area | None = None, user=None) -> dict:
    """The territory (or a subtree, or what ``user`` may see) as a FeatureCollection."""
    queryset = Area.objects.visible_to(user) if user is not None else Area.objects.all()
    if root is not None:
        queryset = queryset.filter(prefix__startswith=root.prefix)
    rows = queryset.select_related("parent").order_by("level", "code")
    features = [feature_of(a, a.parent.code if a.parent_id else None) for a in rows]
    return {"type": "FeatureCollection", "features": features}


# --- single-area edits (admin) ---------------------------------------------------------------
def validate_area(area: Area) -> dict[str, str]:
    """Field → message for a single area edited in a form (same rules as the importer)."""
    problem = codes.code_problem(area.code)
    if problem:  # without a well-formed code there is no level, prefix or parent to check
        return {"code": problem}
    area.level = codes.level_of(area.code)
    data = feature_of(area, area.parent.code if area.parent_id else None)
    data["properties"]["parent_code"] = area.parent.code if area.parent_id else None
    features, problems = parse_feature_collection({"type": "FeatureCollection",
                                                   "features": [data]})
    if not problems:
        # the row being edited is this feature, even when its code changes
        features[0].pk = area.pk
        _check_tree(features, problems)
    errors: dict[str, str] = {}
    for problem in problems:
        key = {"parent_code": "parent", "geometry": "geometry", "code": "code",
               "name": "name", "valid_to": "valid_to", "valid_from": "valid_from",
               "level": "level"}.get(problem.property, "__all__")
        errors.setdefault(key, problem.message)
    return errors


@transaction.atomic
def save_area(area: Area, *, actor=None) -> Area:
    area.level = codes.level_of(area.code) or area.level
    area.prefix = codes.prefix_of(area.code)
    geometry = shape(area.geometry) if area.geometry else None
    _set_geometry(area, area.geometry, geometry)
    area.save()
    bump_version()
    return area


@transaction.atomic
def assign_staff(*, actor, grid: Area, user, post: str, since=None) -> GridStaff:
    if grid.level not in UNIT_GRID_LEVELS:
        raise ValueError(f"{grid} is not a grid")
    staff, _ = GridStaff.objects.update_or_create(
        grid=grid, user=user, post=post,
        defaults={"since": since or timezone.localdate()},
    )
    return staff


def geometry_json(geometry) -> dict:
    return mapping(geometry)
