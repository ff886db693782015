"""地: standard addresses, buildings, houses, who lives where (households), rentals."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.core.scope import ScopedManager

# Least privilege for department handlers (role ``department``): they see the places their
# cases need, not their jurisdiction's register — the buildings (with their houses and who lives
# there) and standard addresses within this distance of a case their unit holds or held (a
# box of about this half-width around the case's point). No other places, no address review,
# no history of changes. Cases and places are linked by position only: nothing else ties them.
DEPARTMENT_PLACE_RADIUS_M = 100
NOTHING = Q(pk__in=[])


def is_department_handler(user) -> bool:
    return getattr(user, "role", None) == Role.DEPARTMENT and not user.is_superuser


def near_own_cases(user, lon: str = "lon", lat: str = "lat"):
    """Rows whose point (fields ``lon``/``lat``, WGS-84) lies within
    ``DEPARTMENT_PLACE_RADIUS_M`` of a case visible to the department handler ``user``."""
    from wangge.cases.models import Case

    if not user.department_id:
        return NOTHING
    radius = float(getattr(settings, "DEPARTMENT_PLACE_RADIUS_M", DEPARTMENT_PLACE_RADIUS_M))
    dlat = radius / 111_320
    dlon = dlat * 2  # ≥ the radius up to latitude 60° (a degree of longitude shrinks by cos φ)
    cases = Case.objects.visible_to(user).filter(
        lat__gte=OuterRef(lat) - dlat, lat__lte=OuterRef(lat) + dlat,
        lon__gte=OuterRef(lon) - dlon, lon__lte=OuterRef(lon) + dlon)
    return Q(**{f"{lat}__isnull": False, f"{lon}__isnull": False}) & Exists(cases)


def place_scope(path: str, department=None):
    """``scope_q`` of a places model: the jurisdiction's subtree; for a department handler
    also ``department(user)`` (nothing when None)."""

    def scope_q(user, prefix):
        inside = Q(**{f"{path}__startswith": prefix})
        if is_department_handler(user):
            return inside & department(user) if department is not None else NOTHING
        return inside

    return staticmethod(scope_q)


def _near_buildings(path: str):
    """For a department handler: rows of the buildings near its cases (``path``: the lookup
    from the row to its building)."""

    def department(user):
        return Q(**{f"{path}__in": Building.objects.visible_to(user).values("pk")})

    return department


def _address_department(user):
    return near_own_cases(user) | Q(pk__in=Building.objects.visible_to(user).filter(
        address__isnull=False).values("address_id"))


class Usage(models.TextChoices):
    OWNER = "owner", _("Owner-occupied")  # 自住
    RENTED = "rented", _("Rented out")  # 出租
    VACANT = "vacant", _("Vacant")  # 空置
    BUSINESS = "business", _("Business")  # 经营


class BuildingKind(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    MIXED = "mixed", _("Mixed use")
    PUBLIC = "public", _("Public")
    INDUSTRIAL = "industrial", _("Industrial")
    OTHER = "other", _("Other")


class Address(models.Model):
    """标准地址: division + road/street + door number + building + unit + room."""

    scope_path = "area__prefix"
    scope_q = place_scope(scope_path, _address_department)

    area = models.ForeignKey("territory.Area", verbose_name=_("grid or community"),
                             on_delete=models.PROTECT, related_name="addresses")
    road = models.CharField(_("road / street"), max_length=60)
    door_number = models.CharField(_("door number"), max_length=20)
    building_no = models.CharField(_("building"), max_length=20, blank=True)
    unit_no = models.CharField(_("unit"), max_length=10, blank=True)
    room_no = models.CharField(_("room"), max_length=10, blank=True)
    full_text = models.CharField(_("standard address"), max_length=200, db_index=True)
    lon = models.FloatField(null=True, blank=True)  # WGS-84
    lat = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("standard address")
        verbose_name_plural = _("standard addresses")
        constraints = [models.UniqueConstraint(fields=["full_text"], name="unique_address")]

    def __str__(self) -> str:
        return self.full_text


def _qr_token() -> str:
    return secrets.token_urlsafe(9)


class Building(models.Model):
    """楼栋, with a QR door plate that opens its public page and the prefilled report form."""

    scope_path = "grid__prefix"
    scope_q = place_scope(scope_path, near_own_cases)

    grid = models.ForeignKey("territory.Area", verbose_name=_("grid"), on_delete=models.PROTECT,
                             related_name="buildings")
    address = models.ForeignKey(Address, verbose_name=_("address"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="buildings")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=BuildingKind.choices,
                            default=BuildingKind.RESIDENTIAL)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)  # WGS-84
    lat = models.FloatField(null=True, blank=True)
    qr_token = models.CharField(max_length=16, unique=True, default=_qr_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["grid__code", "name"]

    def __str__(self) -> str:
        return self.name


class House(models.Model):
    """房屋: a dwelling or premises in a building."""

    scope_path = "building__grid__prefix"
    scope_q = place_scope(scope_path, _near_buildings("building"))

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.CASCADE,
                                 related_name="houses")
    unit_no = models.CharField(_("unit"), max_length=10, blank=True)
    room_no = models.CharField(_("room"), max_length=10)
    usage = models.CharField(_("usage"), max_length=10, choices=Usage.choices,
                             default=Usage.OWNER)
    floor_area_m2 = models.FloatField(_("floor area (m²)"), null=True, blank=True)
    owner = models.ForeignKey("people.Person", verbose_name=_("owner / landlord"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="houses_owned")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["building", "unit_no", "room_no"]
        constraints = [models.UniqueConstraint(fields=["building", "unit_no", "room_no"],
                                               name="unique_house_in_building")]

    def __str__(self) -> str:
        return f"{self.building} {self.unit_no}-{self.room_no}".strip()


class Residence(models.Model):
    """Who lives where, since when (the household is the people of one house at a time)."""

    scope_path = "house__building__grid__prefix"
    scope_q = place_scope(scope_path, _near_buildings("house__building"))

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE,
                               related_name="residences")
    house = models.ForeignKey(House, on_delete=models.CASCADE, related_name="residences")
    relation = models.CharField(_("relation to the head"), max_length=20, blank=True)
    is_tenant = models.BooleanField(_("tenant"), default=False)
    since = models.DateField(_("since"), default=timezone.localdate)
    until = models.DateField(_("until"), null=True, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("residence")
        verbose_name_plural = _("residences")
        ordering = ["-since"]
        indexes = [models.Index(fields=["house", "until"])]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.house_id}"


class PlaceChange(models.Model):
    """The history of every change to places: who, when, what, before and after (personal data
    masked). ``building`` and ``house`` tie a change to the pages that show it."""

    class ObjectKind(models.TextChoices):
        ADDRESS = "address", _("Address")
        BUILDING = "building", _("Building")
        HOUSE = "house", _("House")
        RESIDENCE = "residence", _("Residence")

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        ENDED = "ended", _("Ended")

    scope_path = "area__prefix"
    scope_q = place_scope(scope_path)

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(_("source"), max_length=200, default="web")
    object_kind = models.CharField(_("object"), max_length=10, choices=ObjectKind.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    area = models.ForeignKey("territory.Area", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="changes")
    house = models.ForeignKey(House, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="changes")

    objects = ScopedManager()

    class Meta:
        verbose_name = _("place change")
        verbose_name_plural = _("place changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_kind", "object_id"])]

    def __str__(self) -> str:
        return f"{self.object_kind} {self.object_id} {self.action}"


class MatchState(models.TextChoices):
    PENDING = "pending", _("Pending review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class AddressMatch(models.Model):
    """A free-text address matched to a standard address: accepted at once above the threshold,
    otherwise waiting for a person's review."""

    scope_path = "area__prefix"
    scope_q = place_scope(scope_path)

    raw_text = models.CharField(_("address as given"), max_length=200)
    parsed = models.JSONField(_("parsed parts"), default=dict)
    candidate = models.ForeignKey(Address, verbose_name=_("best candidate"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="matches")
    score = models.FloatField(_("score"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=MatchState.choices,
                             default=MatchState.PENDING, db_index=True)
    area = models.ForeignKey("territory.Area", verbose_name=_("area"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(_("source"), max_length=200, blank=True)
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="address_matches")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("address match")
        verbose_name_plural = _("address matches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.raw_text} → {self.candidate_id} ({self.score:.0f})"
