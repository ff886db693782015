"""People as a table: ``wangge export people`` and the export link of the people list.

The columns are the importer's (name, id_number, kind, phone, area_code, address, tags), so a
re-import of an export changes nothing. ID numbers and phones are decrypted for every row
(clear for the system and users with ``people.view_full_id``, masked otherwise); special-group
tags only for those who may see them. ``filtered`` is the list page's filter, shared by the
page and its export.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _l

from wangge.core import crypto
from wangge.core.exporting import CHUNK, Context, ExportKind, chunks, in_area, visible
from wangge.core.identifiers import mask, mask_phone
from wangge.people import services
from wangge.people.importer import COLUMNS
from wangge.people.models import ID_ASSOCIATED, PHONE_ASSOCIATED, Kind, Person, Tag

FILTER_KEYS = ("q", "kind", "area", "tag")
TAG_SEPARATOR = ";"


def visible_tags(user):
    tags = Tag.objects.all()
    return tags if services.can_view_sensitive_tags(user) else tags.filter(sensitive=False)


def filtered(user, params: dict) -> tuple:
    """The people ``user`` (None: the system, everyone) sees with the list page's filters:
    q (name contains), kind, area (a code in the jurisdiction: its subtree), tag (a visible
    tag's id). Returns the queryset and a problem to show ('' if none)."""
    people = visible(Person, user)
    problem = ""
    if params.get("q"):
        people = people.filter(name__icontains=params["q"])
    if params.get("kind") in Kind.values:
        people = people.filter(kind=params["kind"])
    if params.get("area"):
        people, problem = in_area(people, user, params["area"], "area__prefix")
    if params.get("tag"):
        tag = visible_tags(user).filter(pk=params["tag"]).first() \
            if str(params["tag"]).isdigit() else None
        people = services.with_tag(people, tag)
    return people, problem


def rows(queryset, ctx: Context) -> Iterator[list]:
    """One row per person, in chunks: the people's columns (not model objects: two million of
    those cost more than the decryption), then their tags with one query per chunk."""
    id_number_of = crypto.decrypter(associated=ID_ASSOCIATED)
    phone_of = crypto.decrypter(associated=PHONE_ASSOCIATED)
    tags = dict(visible_tags(ctx.actor).values_list("pk", "name"))
    sensitive = services.can_view_sensitive_tags(ctx.actor)  # else not even decrypted
    through = Person.tags.through
    people = queryset.order_by("area__code", "pk").values_list(
        "pk", "name", "kind", "id_number_enc", "phone_enc", "area__code", "address")
    if sensitive:  # decrypted as they are read (wangge/core/encrypted.py)
        people = people.values_list(
            "pk", "name", "kind", "id_number_enc", "phone_enc", "area__code", "address",
            "sensitive_tags_enc")
    for chunk in chunks(people.iterator(chunk_size=CHUNK), CHUNK):
        names: dict[int, list[str]] = {}
        for person_id, tag_id in through.objects.filter(
                person_id__in=[r[0] for r in chunk], tag_id__in=list(tags)).values_list(
                "person_id", "tag_id"):
            names.setdefault(person_id, []).append(tags[tag_id])
        for pk, name, kind, id_enc, phone_enc, area_code, address, *more in chunk:
            number, phone = id_number_of(id_enc), phone_of(phone_enc)
            if not ctx.clear:
                number, phone = mask(number), mask_phone(phone)
            own = names.get(pk, [])
            if more and more[0]:
                own = own + [tags[i] for i in services.sensitive_ids(more[0]) if i in tags]
            yield [name, number, kind, phone, area_code, address,
                   TAG_SEPARATOR.join(sorted(own))]


PEOPLE = ExportKind(
    name="people", columns=COLUMNS, filtered=filtered, rows=rows, filter_keys=FILTER_KEYS,
    personal=True, list_url="people:list", label=_l("People"),
    masked_note=_l("ID numbers and phones in this file are masked: it cannot be re-imported."))
