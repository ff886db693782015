"""The grid profile (网格画像): what an area holds, counted with aggregate queries.

Every figure is a ``GROUP BY`` over the rows under the area's code prefix; the children's
figures group by the first N characters of the code (N = the children's prefix length, as in
the cockpit), so the page costs a fixed number of queries whatever the data size. Nothing here
lists people: the profile shows counts only, and special-group (sensitive) tags only to users
allowed to see them.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from django.db.models import Count
from django.db.models.functions import Substr

from wangge.core.scope import scoped
from wangge.territory.choices import Level
from wangge.territory.models import Area

POINT_LIMIT = 3000  # per layer; a grid or a community holds far fewer
POINT_LEVELS = (Level.VILLAGE, Level.GRID, Level.SUBGRID)


def places_ready() -> bool:
    """True when the places app is installed and its tables exist (another team builds it)."""
    if not apps.is_installed("wangge.places"):
        return False
    tables = set(connection.introspection.table_names())
    return {"places_building", "places_house"} <= tables


def children_of(user, area: Area) -> list[Area]:
    return list(scoped(Area, user).filter(parent=area).order_by("code")
                .only("id", "code", "prefix", "name", "level", "parent_id"))


def key_length(area: Area, children: list[Area]) -> int:
    lengths = {len(c.prefix) for c in children}
    return max(lengths) if lengths else len(area.prefix)


def area_path(user, area: Area) -> list[Area]:
    """The visible ancestors and the area itself, from the top (the breadcrumbs)."""
    chain = [a for a in area.ancestors() if user.is_superuser or user.can_see_area(a)]
    return [*chain, area]


class _Counter:
    """One model's counts under an area: the total by ``field`` and, per child, the total."""

    def __init__(self, queryset, code_path: str, area: Area, key_len: int, field: str | None,
                 *, code_is_range: bool = False):
        if code_is_range:
            queryset = queryset.filter(**{f"{code_path}__gte": area.prefix,
                                          f"{code_path}__lt": area.prefix + ":"})
        else:
            queryset = queryset.filter(**{f"{code_path}__startswith": area.prefix})
        self.by = {}
        if field:
            self.by = {row[field]: row["n"] for row in
                       queryset.order_by().values(field).annotate(n=Count("pk"))}
            self.total = sum(self.by.values())
        else:
            self.total = queryset.count()
        self.per_child = {row["key"]: row["n"] for row in
                          queryset.order_by().annotate(key=Substr(code_path, 1, key_len))
                          .values("key").annotate(n=Count("pk"))}


class _Nothing:
    total = 0
    by: dict = {}
    per_child: dict = {}


def _labelled(choices, counts: dict) -> list[dict]:
    """Every choice in order with its count (zeros included), then unknown values."""
    rows = [{"value": value, "label": str(label), "n": counts.get(value, 0)}
            for value, label in choices]
    known = {value for value, _ in choices}
    rows += [{"value": v, "label": str(v), "n": n} for v, n in counts.items() if v not in known]
    return rows


def profile(user, area: Area) -> dict:
    """Every figure of the profile page, as a dict (the children's rows are in the same
    order as ``children_of``)."""
    from wangge.cases.choices import OPEN_STATUSES
    from wangge.cases.models import Case
    from wangge.integrations.models import Device, DeviceKind
    from wangge.organisations.models import Organisation, OrgKind, RiskLevel
    from wangge.people import services as people_services
    from wangge.people.models import Kind as PersonKind
    from wangge.people.models import Person, Tag
    from wangge.things.models import Component, ComponentStatus

    children = children_of(user, area)
    n = key_length(area, children)

    people = _Counter(Person.objects.all(), "area__prefix", area, n, "kind")
    see_sensitive = people_services.can_view_sensitive_tags(user)
    tag_counts = people_services.count_by_tag(
        Person.objects.filter(area__prefix__startswith=area.prefix))
    tags = [{"label": t.name, "group": t.get_group_display(), "n": tag_counts.get(t.pk, 0),
             "sensitive": t.sensitive}
            for t in Tag.objects.all() if see_sensitive or not t.sensitive]

    ready = places_ready()
    if ready:
        from wangge.places.models import Building, House, Usage

        buildings = _Counter(Building.objects.all(), "grid__prefix", area, n, None)
        houses = _Counter(House.objects.all(), "building__grid__prefix", area, n, "usage")
        usage_choices = Usage.choices
    else:
        buildings = houses = _Nothing()
        usage_choices = []

    orgs = _Counter(Organisation.objects.all(), "grid__prefix", area, n, "kind")
    org_risk = _Counter(Organisation.objects.all(), "grid__prefix", area, n, "risk_level")
    risky = _Counter(Organisation.objects.filter(
        risk_level__in=[RiskLevel.LARGER, RiskLevel.MAJOR]), "grid__prefix", area, n, None)
    components = _Counter(Component.objects.all(), "grid__prefix", area, n, "status")
    faulty = _Counter(Component.objects.exclude(status=ComponentStatus.NORMAL), "grid__prefix",
                      area, n, None)
    devices = _Counter(Device.objects.all(), "grid__prefix", area, n, "kind")
    cases = _Counter(Case.objects.filter(status__in=OPEN_STATUSES), "grid_code", area, n,
                     None, code_is_range=True)

    def child_row(child: Area) -> dict:
        key = child.prefix
        return {"area": child, "code": child.code, "name": child.name,
                "people": people.per_child.get(key, 0),
                "buildings": buildings.per_child.get(key, 0),
                "houses": houses.per_child.get(key, 0),
                "organisations": orgs.per_child.get(key, 0),
                "risky_organisations": risky.per_child.get(key, 0),
                "components": components.per_child.get(key, 0),
                "faulty_components": faulty.per_child.get(key, 0),
                "devices": devices.per_child.get(key, 0),
                "open_cases": cases.per_child.get(key, 0)}

    return {
        "places_ready": ready,
        "totals": {"people": people.total, "buildings": buildings.total,
                   "houses": houses.total, "organisations": orgs.total,
                   "risky_organisations": risky.total, "components": components.total,
                   "faulty_components": faulty.total, "devices": devices.total,
                   "open_cases": cases.total},
        "people_by_kind": _labelled(PersonKind.choices, people.by),
        "tags": tags,
        "houses_by_usage": _labelled(usage_choices, houses.by),
        "organisations_by_kind": _labelled(OrgKind.choices, orgs.by),
        "organisations_by_risk": _labelled(RiskLevel.choices, org_risk.by),
        "components_by_status": _labelled(ComponentStatus.choices, components.by),
        "devices_by_kind": _labelled(DeviceKind.choices, devices.by),
        "children": [child_row(c) for c in children],
    }


def map_data(user, area: Area, child_rows: list[dict], urls: dict) -> dict:
    """GeoJSON of the area and its children (with their figures), and, for a community or a
    grid, the points of buildings, organisations, components and devices."""
    features = []
    if area.geometry:
        features.append({"type": "Feature", "geometry": area.geometry, "properties": {
            "code": area.code, "name": area.name, "role": "self"}})
    geometries = dict(scoped(Area, user).filter(parent=area).values_list("code", "geometry"))
    for row in child_rows:
        geometry = geometries.get(row["code"])
        if geometry:
            properties = {k: v for k, v in row.items() if k != "area"}
            properties["role"] = "child"
            features.append({"type": "Feature", "geometry": geometry,
                             "properties": properties})
    layers = {}
    if area.level in POINT_LEVELS:
        layers = point_layers(area, urls)
    return {"type": "FeatureCollection", "features": features, "layers": layers}


def _points(queryset, url: str | None, label_field: str, key_field: str = "pk") -> dict:
    rows = list(queryset.exclude(lon__isnull=True).exclude(lat__isnull=True).order_by()
                .values_list("lon", "lat", label_field, key_field)[:POINT_LIMIT + 1])
    truncated = len(rows) > POINT_LIMIT
    points = [{"lon": lon, "lat": lat, "label": label,
               "url": url.replace("KEY", str(key)) if url else None}
              for lon, lat, label, key in rows[:POINT_LIMIT]]
    return {"points": points, "truncated": truncated}


def point_layers(area: Area, urls: dict) -> dict:
    from wangge.integrations.models import Device
    from wangge.organisations.models import Organisation
    from wangge.things.models import Component

    layers = {}
    if places_ready():
        from wangge.places.models import Building

        layers["buildings"] = _points(Building.objects.filter(
            grid__prefix__startswith=area.prefix), urls.get("building"), "name")
    layers["organisations"] = _points(Organisation.objects.filter(
        grid__prefix__startswith=area.prefix), urls.get("organisation"), "name")
    layers["components"] = _points(Component.objects.filter(
        grid__prefix__startswith=area.prefix), urls.get("component"), "name", "code")
    layers["devices"] = _points(Device.objects.filter(
        grid__prefix__startswith=area.prefix), None, "device_id")
    return layers
