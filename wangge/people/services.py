"""Every change to a person goes through here: validated, de-duplicated by ID number, and
written to the history (masked) in the same transaction."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from wangge.accounts.choices import Role
from wangge.core import crypto
from wangge.core.identifiers import (
    IdentifierError,
    birth_date_of,
    mask,
    mask_phone,
    normalize_id_number,
    sex_of,
)
from wangge.people.models import (
    ID_ASSOCIATED,
    PHONE_ASSOCIATED,
    AccessLog,
    Kind,
    Person,
    PersonChange,
    SensitiveTagLink,
    Tag,
)
from wangge.territory.choices import UNIT_GRID_LEVELS, Level

PERSON_LEVELS = (Level.VILLAGE, *UNIT_GRID_LEVELS)
PHONE_RE = re.compile(r"^\d{7,15}$")


# --- who may see what ---------------------------------------------------------------------------
def can_view_full_id(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (
        user.is_superuser or getattr(user, "role", "") == Role.ADMIN
        or user.has_perm("people.view_full_id")))


def can_view_sensitive_tags(user) -> bool:
    """``None`` is the system (command-line import): it sees everything."""
    if user is None:
        return True
    return bool(user.is_authenticated and user.is_active
                and user.has_perm("people.view_sensitive_tags"))


# --- clear and masked values ------------------------------------------------------------------
def id_number_of(person: Person) -> str:
    """The clear ID number: for services only, never handed to a page except by reveal."""
    return crypto.decrypt(person.id_number_enc, associated=ID_ASSOCIATED)


def phone_of(person: Person) -> str:
    return crypto.decrypt(person.phone_enc, associated=PHONE_ASSOCIATED)


def masked_id(person: Person) -> str:
    return mask(id_number_of(person))


def masked_phone(person: Person) -> str:
    return mask_phone(phone_of(person))


def find_by_id_number(number: str) -> Person | None:
    """The person with this ID number, through the keyed hash (nothing is decrypted)."""
    try:
        normalized = normalize_id_number(number)
    except IdentifierError:
        return None
    return Person.objects.filter(id_hash=crypto.lookup_hash(normalized)).first()


LOOKUP_LIMIT = "people_lookup"  # wangge/core/ratelimit.py: 20 a minute per user by default


def _take_lookup(actor, *, kind: str, reason: str, request=None) -> int | None:
    """Counts one exact lookup of ``actor`` against ``LOOKUP_LIMIT``: None when allowed, else
    the seconds to wait (the refusal is audited as ``rate_limited``)."""
    from wangge.audit.choices import Event, Outcome
    from wangge.audit.services import record
    from wangge.core import ratelimit

    wait = ratelimit.take(LOOKUP_LIMIT, f"user:{actor.pk}")
    if wait is not None:
        record(Event.RATE_LIMITED, actor=actor, request=request, outcome=Outcome.DENIED,
               limit=LOOKUP_LIMIT, kind=kind, reason=reason, retry_after=wait)
    return wait


def exact_lookup(actor, people, *, id_number: str | None = None, phone: str | None = None,
                 reason: str | None = None, request=None):
    """``people`` (already scoped to ``actor``) narrowed to an exact ID number and/or phone.

    An exact lookup confirms or denies a guessed number, so it is an oracle: each one needs a
    reason, counts against a per-user limit (``people_lookup``, 20 a minute unless
    ``WANGGE["PORTAL_RATE_LIMITS"]`` says otherwise; beyond it ``RateLimited``, audited as
    ``rate_limited``) and is written to the audit trail (``lookup``: who, why, which kind, how
    many matched, or that it was refused). The values themselves are never logged, only the
    first characters of their keyed hash."""
    from wangge.audit.choices import Event, Outcome
    from wangge.audit.services import record
    from wangge.core import ratelimit

    kind = ",".join(name for name, value in (("id_number", id_number), ("phone", phone))
                    if value)
    reason = (reason or "").strip()[:200]
    wait = _take_lookup(actor, kind=kind, reason=reason, request=request)
    if wait is not None:
        raise ratelimit.RateLimited(wait, "too many lookups by ID number or phone: try again "
                                          f"in {wait} seconds")
    if not reason:
        record(Event.LOOKUP, actor=actor, request=request, outcome=Outcome.DENIED, kind=kind,
               reason="", refused="no reason given")
        raise ValidationError({"reason": "say why you look this person up by ID number or "
                                         "phone"})
    hashes = {}
    for field, value, normal in (("id_number", id_number, normalize_id_number),
                                 ("phone", phone, normalize_phone)):
        if not value:
            continue
        try:
            normalized = normal(value)
        except IdentifierError as exc:
            record(Event.LOOKUP, actor=actor, request=request, outcome=Outcome.FAILED,
                   kind=kind, reason=reason, refused=f"{field} is not valid")
            raise ValueError(f"{field}: {exc}") from None
        if normalized:
            hashes[field] = crypto.lookup_hash(normalized)
    if "id_number" in hashes:
        people = people.filter(id_hash=hashes["id_number"])
    if "phone" in hashes:
        people = people.filter(phone_hash=hashes["phone"])
    found = list(people.values_list("pk", flat=True)[:2])
    matches = people.count() if len(found) > 1 else len(found)
    record(Event.LOOKUP, actor=actor, request=request, outcome=Outcome.OK, kind=kind,
           reason=reason, matches=matches,
           object_type="people.person" if matches == 1 else "",
           object_id=str(found[0]) if matches == 1 else "",
           value_hash={name: digest[:16] for name, digest in hashes.items()})
    return people


# --- tags: the sensitive ones encrypted (see the docstring of wangge/people/models.py) --------
def tag_token(tag) -> str:
    """The keyed hash that stands for a sensitive tag in ``SensitiveTagLink``."""
    return crypto.lookup_hash(f"sensitive-tag:{tag.pk if isinstance(tag, Tag) else tag}")


def sensitive_ids(text: str) -> list[int]:
    """The tag ids of a (decrypted) ``sensitive_tags_enc`` value."""
    import json

    return [int(i) for i in json.loads(text)] if text else []


def sensitive_text(tag_ids: Iterable[int]) -> str:
    """The value of ``sensitive_tags_enc`` for these tag ids ("" for none)."""
    ids = sorted(set(tag_ids))
    return "[" + ",".join(map(str, ids)) + "]" if ids else ""


def tags_of(person: Person, known: dict[int, Tag] | None = None) -> list[Tag]:
    """Every tag of a person: the plain ones (prefetched or not) and the sensitive ones
    (decrypted). ``known``: the tags by id, when many people are shown."""
    tags = list(person.tags.all())
    ids = sensitive_ids(person.sensitive_tags_enc)
    if ids:
        if known is None:
            tags += list(Tag.objects.filter(pk__in=ids))
        else:
            tags += [known[i] for i in ids if i in known]
    return sorted(tags, key=lambda t: (t.group, t.name))


def set_tags(person: Person, tags: Iterable[Tag]) -> None:
    """Gives a saved person exactly these tags: the plain ones in ``Person.tags``, the sensitive
    ones encrypted on the person with their ``SensitiveTagLink`` rows."""
    tags = list(tags)
    person.tags.set([t for t in tags if not t.sensitive])
    text = sensitive_text(t.pk for t in tags if t.sensitive)
    if text != (person.sensitive_tags_enc or ""):
        Person.objects.filter(pk=person.pk).update(sensitive_tags_enc=text)
        person.sensitive_tags_enc = text
    tokens = {tag_token(t) for t in tags if t.sensitive}
    stored = set(SensitiveTagLink.objects.filter(person=person).values_list("token", flat=True))
    if stored - tokens:
        SensitiveTagLink.objects.filter(person=person, token__in=stored - tokens).delete()
    SensitiveTagLink.objects.bulk_create(
        [SensitiveTagLink(person=person, token=t) for t in sorted(tokens - stored)])


def with_tag(people, tag: Tag | None):
    """The people of a queryset who have ``tag`` (none for None)."""
    if tag is None:
        return people.none()
    if tag.sensitive:
        return people.filter(sensitive_links__token=tag_token(tag))
    return people.filter(tags=tag).distinct()


def count_by_tag(people) -> dict[int, int]:
    """{tag id: how many of these people have it}, sensitive tags included."""
    from django.db.models import Count

    counts = dict(Person.tags.through.objects.filter(person__in=people.values("pk"))
                  .values_list("tag_id").annotate(n=Count("person_id")))
    tokens = {tag_token(pk): pk for pk in Tag.objects.filter(sensitive=True)
              .values_list("pk", flat=True)}
    for token, n in (SensitiveTagLink.objects.filter(person__in=people.values("pk"),
                                                     token__in=list(tokens))
                     .values_list("token").annotate(n=Count("person_id"))):
        counts[tokens[token]] = n
    return counts


def move_tag_links(tag: Tag) -> int:
    """After a tag's ``sensitive`` flag changed: its links move to the storage that fits
    (encrypted, or the plain many-to-many table). Returns how many people were touched."""
    token = tag_token(tag)
    if tag.sensitive:
        people = list(Person.objects.filter(tags=tag))
    else:
        people = list(Person.objects.filter(sensitive_links__token=token))
    with transaction.atomic():
        for person in people:
            ids = set(sensitive_ids(person.sensitive_tags_enc))
            if tag.sensitive:
                person.tags.remove(tag)
                ids.add(tag.pk)
                SensitiveTagLink.objects.get_or_create(person=person, token=token)
            else:
                ids.discard(tag.pk)
                SensitiveTagLink.objects.filter(person=person, token=token).delete()
                person.tags.add(tag)
            Person.objects.filter(pk=person.pk).update(sensitive_tags_enc=sensitive_text(ids))
    return len(people)


def snapshot(person: Person, tags: Iterable[Tag] | None = None) -> dict:
    """The record as the history keeps it: ID number and phone masked, sensitive tags apart."""
    tags = tags_of(person) if tags is None else list(tags)
    return {
        "name": person.name,
        "kind": person.kind,
        "id_number": masked_id(person),
        "phone": masked_phone(person),
        "area": person.area.code,
        "address": person.address,
        "tags": sorted(t.name for t in tags if not t.sensitive),
        "sensitive_tags": sorted(t.name for t in tags if t.sensitive),
    }


# --- validation -------------------------------------------------------------------------------
def normalize_phone(value: str) -> str:
    phone = re.sub(r"[\s\-()]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if phone and not PHONE_RE.match(phone):
        raise IdentifierError("a phone number has 7 to 15 digits")
    return phone


def resolve_tags(values: Iterable, actor) -> list[Tag]:
    """Tags by object or name; unknown names and (for users without the permission)
    sensitive tags are refused."""
    tags, names = [], []
    for value in values:
        (tags if isinstance(value, Tag) else names).append(value)
    names = [n.strip() for n in names if n and n.strip()]
    if names:
        found = {t.name: t for t in Tag.objects.filter(name__in=names)}
        unknown = [n for n in names if n not in found]
        if unknown:
            raise ValidationError({"tags": f"unknown tag {unknown[0]!r}"})
        tags.extend(found[n] for n in names)
    if not can_view_sensitive_tags(actor) and any(t.sensitive for t in tags):
        raise ValidationError({"tags": "you may not set special-group tags"})
    return list({t.pk: t for t in tags}.values())


def _check_area(area, actor) -> None:
    if area is None:
        raise ValidationError({"area": "a person is registered in a grid or a community"})
    if area.level not in PERSON_LEVELS:
        raise ValidationError({"area": f"{area.code} is not a grid or a community"})
    if actor is not None and not actor.can_see_area(area):
        raise ValidationError({"area": f"{area.code} is outside your jurisdiction"})


def _duplicate_error(other: Person, number: str, actor) -> ValidationError:
    if actor is None or Person.objects.visible_to(actor).filter(pk=other.pk).exists():
        return ValidationError({"id_number": f"already registered as {other.name} "
                                             f"({mask(number)})"})
    # nothing about the other record, not even the masked number: the caller typed it
    return ValidationError({"id_number": "already registered in another jurisdiction"})


def _set_id_number(person: Person, raw: str, actor) -> None:
    try:
        number = normalize_id_number(raw or "")
    except IdentifierError as exc:
        raise ValidationError({"id_number": str(exc)}) from None
    digest = crypto.lookup_hash(number)
    other = Person.objects.filter(id_hash=digest).exclude(pk=person.pk).first()
    if other is not None:
        raise _duplicate_error(other, number, actor)
    if digest != person.id_hash:
        person.id_hash = digest
        person.id_number_enc = crypto.encrypt(number, associated=ID_ASSOCIATED)
        person.birth_date = birth_date_of(number)
        person.sex = sex_of(number)


def _set_phone(person: Person, raw: str) -> None:
    try:
        phone = normalize_phone(raw)
    except IdentifierError as exc:
        raise ValidationError({"phone": str(exc)}) from None
    digest = crypto.lookup_hash(phone) if phone else ""
    if digest != person.phone_hash:
        person.phone_hash = digest
        person.phone_enc = crypto.encrypt(phone, associated=PHONE_ASSOCIATED)


def _check_plain(name: str, kind: str) -> None:
    if not (name or "").strip():
        raise ValidationError({"name": "a name is required"})
    if len(name.strip()) > 50:
        raise ValidationError({"name": "a name has at most 50 characters"})
    if kind not in Kind.values:
        raise ValidationError({"kind": f"{kind!r} is not one of {', '.join(Kind.values)}"})


def _save(person: Person) -> None:
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # a concurrent registration of the same number
        raise ValidationError({"id_number": "already registered"}) from None


# --- changes ----------------------------------------------------------------------------------
def _guard_id_number(actor, raw, person_pk=None) -> None:
    """Setting an ID number tells whether someone already has it ("already registered …"),
    so a user who types ID numbers is making exact lookups: each attempt counts against the
    per-user lookup limit, and a number that is already someone else's is written to the audit
    trail. Runs before the change's transaction, so that the audit row stays when the change
    is refused."""
    from wangge.audit.choices import Event, Outcome
    from wangge.audit.services import record

    if actor is None or not raw:
        return
    try:
        digest = crypto.lookup_hash(normalize_id_number(raw))
    except IdentifierError:
        return  # refused by the change itself, saying why
    if person_pk is not None and Person.objects.filter(pk=person_pk, id_hash=digest).exists():
        return  # unchanged
    wait = _take_lookup(actor, kind="id_number", reason="register or change a person")
    if wait is not None:
        raise ValidationError({"id_number": f"too many ID numbers checked: try again in "
                                            f"{wait} seconds"})
    other = Person.objects.filter(id_hash=digest).exclude(pk=person_pk).values_list(
        "pk", flat=True).first()
    if other is not None:
        record(Event.LOOKUP, actor=actor, outcome=Outcome.DENIED, kind="id_number",
               reason="register or change a person: the number is already registered",
               matches=1, object_type="people.person", object_id=str(other),
               value_hash={"id_number": digest[:16]})


def register_person(actor, *, name: str, id_number: str, area, kind: str = Kind.REGISTERED,
                    phone: str = "", address: str = "", tags: Iterable = (),
                    source: str = "web") -> Person:
    _guard_id_number(actor, id_number)
    return _register_person(actor, name=name, id_number=id_number, area=area, kind=kind,
                            phone=phone, address=address, tags=tags, source=source)


@transaction.atomic
def _register_person(actor, *, name, id_number, area, kind, phone, address, tags,
                     source) -> Person:
    _check_plain(name, kind)
    _check_area(area, actor)
    person = Person(name=name.strip(), kind=kind, area=area, address=(address or "").strip())
    _set_id_number(person, id_number, actor)
    _set_phone(person, phone)
    tag_list = resolve_tags(tags, actor)
    _save(person)
    set_tags(person, tag_list)
    PersonChange.objects.create(person=person, actor=actor, source=source,
                                action=PersonChange.Action.CREATED, before=None,
                                after=snapshot(person, tag_list))
    return person


UPDATABLE = {"name", "kind", "id_number", "phone", "area", "address", "tags"}


def update_person(actor, original: Person, *, source: str = "web", **changes) -> bool:
    """Changes the given fields; writes a history row if anything changed. Sensitive tags the
    actor may not see are kept as they are. Returns whether anything changed (``original`` is
    refreshed from the database)."""
    if "id_number" in changes:
        _guard_id_number(actor, changes["id_number"], original.pk)
    return _update_person(actor, original, source=source, **changes)


@transaction.atomic
def _update_person(actor, original: Person, *, source: str, **changes) -> bool:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise TypeError(f"cannot change {', '.join(sorted(unknown))}")
    if actor is not None and not Person.objects.visible_to(actor).filter(pk=original.pk).exists():
        raise PermissionDenied("this person is outside your jurisdiction")
    person = Person.objects.select_for_update().get(pk=original.pk)
    old_tags = tags_of(person)
    before = snapshot(person, old_tags)
    name = changes.get("name", person.name)
    kind = changes.get("kind", person.kind)
    _check_plain(name, kind)
    person.name, person.kind = name.strip(), kind
    if "area" in changes:
        _check_area(changes["area"], actor)
        person.area = changes["area"]
    if "address" in changes:
        person.address = (changes["address"] or "").strip()
    if "id_number" in changes:
        _set_id_number(person, changes["id_number"], actor)
    if "phone" in changes:
        _set_phone(person, changes["phone"])
    new_tags = old_tags
    if "tags" in changes:
        new_tags = resolve_tags(changes["tags"], actor)
        if not can_view_sensitive_tags(actor):
            new_tags += [t for t in old_tags if t.sensitive]
    after = snapshot(person, new_tags)
    if after == before:
        return False
    _save(person)
    if {t.pk for t in new_tags} != {t.pk for t in old_tags}:
        set_tags(person, new_tags)
    PersonChange.objects.create(person=person, actor=actor, source=source,
                                action=PersonChange.Action.UPDATED, before=before, after=after)
    original.refresh_from_db()
    return True


def reveal_id_number(actor, person: Person, reason: str, *, request=None) -> str:
    """The clear ID number, for permitted users with a reason; the access is logged."""
    return reveal(actor, person, reason, request=request)["id_number"]


def reveal(actor, person: Person, reason: str, *, request=None) -> dict:
    """The clear ID number and phone, for permitted users with a reason: written to the
    person's access log and to the security audit trail (``reveal``, with the reason; a
    refused attempt too)."""
    from wangge.audit.choices import Event, Outcome
    from wangge.audit.services import record

    reason = (reason or "").strip()
    why = ""
    if not can_view_full_id(actor):
        why = "you may not see full ID numbers"
    elif not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        why = "this person is outside your jurisdiction"
    if why:
        record(Event.REVEAL, actor=actor, request=request, obj=person, outcome=Outcome.DENIED,
               reason=reason[:200], why=why)
        raise PermissionDenied(why)
    if not reason:
        raise ValidationError({"reason": "say why you need the full ID number"})
    with transaction.atomic():
        AccessLog.objects.create(person=person, actor=actor, reason=reason[:200],
                                 fields="id_number,phone")
        record(Event.REVEAL, actor=actor, request=request, obj=person, reason=reason[:200],
               fields=["id_number", "phone"])
    return {"id_number": id_number_of(person), "phone": phone_of(person)}


def rotate_keys(batch_size: int = 1000) -> int:
    """Re-encrypts every person's ID number and phone with the current key; returns how many
    rows changed."""
    changed = 0
    last = 0
    while True:
        batch = list(Person.objects.filter(pk__gt=last).order_by("pk")
                     .only("pk", "id_number_enc", "phone_enc")[:batch_size])
        if not batch:
            return changed
        last = batch[-1].pk
        dirty = []
        for person in batch:
            new_id = crypto.reencrypt(person.id_number_enc, associated=ID_ASSOCIATED)
            new_phone = crypto.reencrypt(person.phone_enc, associated=PHONE_ASSOCIATED)
            if (new_id, new_phone) != (person.id_number_enc, person.phone_enc):
                person.id_number_enc, person.phone_enc = new_id, new_phone
                dirty.append(person)
        with transaction.atomic():
            Person.objects.bulk_update(dirty, ["id_number_enc", "phone_enc"])
        changed += len(dirty)


def record_export(actor, *, kind: str, rows: int, filters: dict, clear: bool,
                  reason: str = "", channel: str = "web", file_format: str = "csv",
                  request=None):
    """Records an export of personal data before it is written (wangge/core/exporting.py), in
    ``ExportLog`` and in the security audit trail (``export``: kind, rows, filter, clear or
    masked, channel, format): clear ID numbers and phones only for the system (``actor``
    None) or a user allowed to see them (a refused attempt is audited too)."""
    from wangge.audit.choices import Event
    from wangge.audit.services import record
    from wangge.people.models import ExportLog

    reason = (reason or "").strip()[:200]
    detail = {"kind": kind, "rows": rows, "filter": filters, "clear": bool(clear),
              "channel": channel, "format": file_format, "reason": reason}
    if clear and actor is not None and not can_view_full_id(actor):
        record_export_denied(actor, request=request, **detail)
        raise PermissionDenied("you may not export clear ID numbers and phones")
    with transaction.atomic():
        log = ExportLog.objects.create(actor=actor, kind=kind, rows=rows, filters=filters,
                                       clear=clear, reason=reason, channel=channel,
                                       file_format=file_format)
        record(Event.EXPORT, actor=actor, request=request, object_type="people.exportlog",
               object_id=str(log.pk), object_repr=f"{kind} ×{rows}",
               username="" if actor is not None else "system", **detail)
    return log


def record_export_denied(actor, *, request=None, **detail) -> None:
    """An export of clear personal data refused to ``actor``, in the audit trail."""
    from wangge.audit.choices import Event, Outcome
    from wangge.audit.services import record

    record(Event.EXPORT, actor=actor, request=request, outcome=Outcome.DENIED, **detail)
