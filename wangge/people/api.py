"""People endpoints (实有人口), scoped to the caller's jurisdiction.

ID numbers and phones are always masked; the clear values come only from ``POST
/people/{id}/reveal`` with a reason, for users allowed to see them, and every reveal is written
to the access log. Special-group tags are left out for users without their permission. Writes go
through ``wangge.people.services`` (history in the same transaction); an update may carry the
``updated_at`` the client read, and a stale one is refused with 409 ``conflict``.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema

from wangge.core.api import (
    ChangeOut,
    Page,
    PageQuery,
    area_for,
    check_fresh,
    choice,
    page_of,
    require_editor,
    within,
)
from wangge.core.scope import get_scoped_or_404, scoped
from wangge.people import services
from wangge.people.models import Kind, Person, PersonChange
from wangge.people.views import visible_tags

router = Router(tags=["people"])


class PersonOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    id_number: str = Field(description="Masked, e.g. 3505**********1234")
    phone: str = Field(description="Masked")
    sex: str
    age: int
    area_code: str
    area_name: str
    address: str
    tags: list[str]
    updated_at: dt.datetime


class ResidenceOut(Schema):
    house_id: int
    house: str
    building_id: int
    relation: str
    is_tenant: bool
    since: dt.date
    until: dt.date | None


class PersonDetail(PersonOut):
    residences: list[ResidenceOut]
    houses_owned: list[int]


class PersonFilter(PageQuery):
    q: str | None = Field(None, description="Name contains")
    kind: str | None = Field(None, description="registered, floating or foreign")
    area: str | None = Field(None, description="Area code: people of this area's subtree")
    tag: str | None = Field(None, description="Tag name")
    id_number: str | None = Field(None, description="Exact ID number (found by its keyed hash); "
                                                    "needs a reason, logged, rate-limited")
    phone: str | None = Field(None, description="Exact phone number; needs a reason, logged, "
                                                "rate-limited")
    reason: str | None = Field(None, description="Why you look a person up by ID number or "
                                                 "phone (required for those lookups)")


class PersonIn(Schema):
    name: str
    id_number: str
    area_code: str
    kind: str = Kind.REGISTERED
    phone: str = ""
    address: str = ""
    tags: list[str] = []


class PersonPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    area_code: str | None = None
    kind: str | None = None
    phone: str | None = None
    address: str | None = None
    tags: list[str] | None = None
    updated_at: dt.datetime | None = Field(
        None, description="The updated_at you read; a stale one is refused with 409")


class RevealIn(Schema):
    reason: str


class RevealOut(Schema):
    id_number: str
    phone: str


def _row(person: Person, user) -> dict:
    # the sensitive tags are decrypted only for those who may see them
    tags = (services.tags_of(person) if services.can_view_sensitive_tags(user)
            else [t for t in person.tags.all() if not t.sensitive])
    return {
        "id": person.pk, "name": person.name, "kind": person.kind,
        "kind_label": str(person.get_kind_display()), "id_number": services.masked_id(person),
        "phone": services.masked_phone(person), "sex": person.sex, "age": person.age,
        "area_code": person.area.code, "area_name": person.area.name,
        "address": person.address,
        "tags": sorted(t.name for t in tags),
        "updated_at": person.updated_at,
    }


def _detail(person: Person, user) -> dict:
    from wangge.places.models import House, Residence

    residences = (scoped(Residence, user).filter(person=person)
                  .select_related("house__building").order_by("-since", "pk"))
    return {**_row(person, user),
            "residences": [{"house_id": r.house_id, "house": str(r.house),
                            "building_id": r.house.building_id, "relation": r.relation,
                            "is_tenant": r.is_tenant, "since": r.since, "until": r.until}
                           for r in residences],
            "houses_owned": list(scoped(House, user).filter(owner=person)
                                 .values_list("pk", flat=True))}


def _people(user):
    return scoped(Person, user).select_related("area").prefetch_related("tags")


@router.get("/people", response=Page[PersonOut], summary="Residents in the jurisdiction")
def list_people(request, filters: Query[PersonFilter]):
    people = _people(request.user)
    if filters.q:
        people = people.filter(name__icontains=filters.q.strip())
    if choice(filters.kind, Kind, "kind"):
        people = people.filter(kind=filters.kind)
    people = within(people, request.user, filters.area, "area__prefix")
    if filters.tag:
        tag = visible_tags(request.user).filter(name=filters.tag).first()
        people = services.with_tag(people, tag)
    if filters.id_number or filters.phone:
        people = services.exact_lookup(request.user, people, id_number=filters.id_number,
                                       phone=filters.phone, reason=filters.reason,
                                       request=request)
    return page_of(people, filters, lambda p: _row(p, request.user))


@router.get("/people/{person_id}", response=PersonDetail, summary="One resident")
def get_person(request, person_id: int):
    return _detail(get_scoped_or_404(Person, request.user, pk=person_id), request.user)


@router.post("/people", response={201: PersonDetail}, summary="Register a resident")
def create_person(request, data: PersonIn):
    require_editor(request.user)
    person = services.register_person(
        request.user, name=data.name, id_number=data.id_number,
        area=area_for(request.user, data.area_code, "area_code"), kind=data.kind, phone=data.phone,
        address=data.address, tags=data.tags, source="api")
    return 201, _detail(person, request.user)


@router.patch("/people/{person_id}", response=PersonDetail, summary="Change a resident")
def update_person(request, person_id: int, data: PersonPatch):
    require_editor(request.user)
    person = get_scoped_or_404(Person, request.user, pk=person_id)
    check_fresh(person, data.updated_at)
    changes = data.dict(exclude_unset=True, exclude={"updated_at", "area_code"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if data.area_code is not None:
        changes["area"] = area_for(request.user, data.area_code, "area_code")
    services.update_person(request.user, person, source="api", **changes)
    return _detail(get_scoped_or_404(Person, request.user, pk=person_id), request.user)


@router.post("/people/{person_id}/reveal", response=RevealOut,
             summary="The clear ID number and phone (permitted users; logged with the reason)")
def reveal(request, person_id: int, data: RevealIn):
    person = get_scoped_or_404(Person, request.user, pk=person_id)
    return services.reveal(request.user, person, data.reason, request=request)


@router.get("/people/{person_id}/history", response=list[ChangeOut],
            summary="Every change to a resident: who, when, before and after (masked)")
def history(request, person_id: int):
    person = get_scoped_or_404(Person, request.user, pk=person_id)
    see_sensitive = services.can_view_sensitive_tags(request.user)

    def clean(values):
        if values is None or see_sensitive:
            return values
        return {k: v for k, v in values.items() if k != "sensitive_tags"}

    return [{"at": c.at, "actor": c.actor.username if c.actor else None, "action": c.action,
             "source": c.source, "before": clean(c.before), "after": clean(c.after)}
            for c in PersonChange.objects.filter(person=person).select_related("actor")]
