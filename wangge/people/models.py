"""Residents (实有人口) and their tags, with the change history and the access log.

The ID number and the phone are stored only encrypted (``*_enc``, AES-GCM with associated data
naming the field, see wangge/core/crypto.py) and as a keyed hash (``*_hash``) to find a record
by its value. Pages show them masked; the clear ID number goes only to permitted users through
``services.reveal_id_number``, which writes an ``AccessLog`` row.

Sensitive tags (every special group — 社区矫正, 社区戒毒, 严重精神障碍 … — and any care group
marked sensitive) are never linked to a person in clear: whoever reads the database file
without the keys must not learn who is in which group.

- ``Person.tags`` (the many-to-many table) holds the person's *other* tags only.
- ``Person.sensitive_tags_enc`` holds the ids of the person's sensitive tags as an encrypted
  JSON list (wangge/core/encrypted.py; empty when there are none).
- ``SensitiveTagLink`` rows (person, token) let lists be filtered and counted by tag with an
  index: ``token`` is HMAC-SHA256 under ``LOOKUP_KEY`` of the tag's id (``services.tag_token``),
  the same for every person with that tag, and says nothing of the tag without the key. The
  file shows that a person has some sensitive tags and which people share one, not which.
- ``PersonChange`` keeps the sensitive tags of its before/after snapshots encrypted too
  (``sensitive_enc``); loaded records have them back in ``before``/``after`` as
  ``sensitive_tags``, so the history reads as before.

Always read and write a person's tags through ``services.tags_of`` / ``services.set_tags``
(filters: ``services.with_tag``); the bulk import writes the same columns itself. A tag whose
``sensitive`` flag changes has its links moved to the other storage when saved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Role
from wangge.core.encrypted import EncryptedTextField
from wangge.core.scope import ScopedManager

ID_ASSOCIATED = "person-id"
PHONE_ASSOCIATED = "person-phone"
SENSITIVE_TAGS_ASSOCIATED = "person-sensitive-tags"
CHANGE_SENSITIVE_ASSOCIATED = "person-change-sensitive-tags"


def register_scope(path: str):
    """The scope of the people register: the jurisdiction's subtree, except for department
    handlers (role ``department``), who see no one (least privilege). They work on the cases
    their unit is given, and no case names a resident, so the register is not theirs to browse;
    what a case's location needs (a building and who lives there) they see through the places
    near their cases (wangge/places/models.py)."""

    def scope_q(user, prefix):
        if getattr(user, "role", None) == Role.DEPARTMENT:
            return models.Q(pk__in=[])
        return models.Q(**{f"{path}__startswith": prefix})

    return staticmethod(scope_q)


class Kind(models.TextChoices):
    REGISTERED = "registered", _("Registered resident")  # 户籍人口
    FLOATING = "floating", _("Floating resident")  # 流动人口
    FOREIGN = "foreign", _("Foreign resident")  # 境外人员


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class TagGroup(models.TextChoices):
    CARE = "care", _("Care group")  # 关爱对象
    SPECIAL = "special", _("Special group")  # 特殊人群


class Tag(models.Model):
    """A care group or special group. Special-group tags are always sensitive: only users with
    the permission people.view_sensitive_tags see them."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    group = models.CharField(_("group"), max_length=10, choices=TagGroup.choices)
    sensitive = models.BooleanField(
        _("sensitive"), default=False,
        help_text=_("Shown only to users allowed to see sensitive tags. Special groups are "
                    "always sensitive."),
    )

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.group == TagGroup.SPECIAL:
            self.sensitive = True
        was = None
        if self.pk:
            was = Tag.objects.filter(pk=self.pk).values_list("sensitive", flat=True).first()
        super().save(*args, **kwargs)
        if was is not None and was != self.sensitive:
            from wangge.people.services import move_tag_links

            move_tag_links(self)


class Person(models.Model):
    """A resident registered in a unit grid or a community."""

    scope_path = "area__prefix"
    scope_q = register_scope(scope_path)

    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices,
                            default=Kind.REGISTERED)
    id_number_enc = models.TextField(_("ID number (encrypted)"), editable=False)
    # unique and indexed through Meta (PostgreSQL then builds no second, LIKE-only index for
    # values nobody searches by pattern)
    id_hash = models.CharField(max_length=64, editable=False)
    birth_date = models.DateField(_("date of birth"), editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    phone_enc = models.TextField(_("phone (encrypted)"), blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    area = models.ForeignKey(
        "territory.Area", verbose_name=_("grid or community"), on_delete=models.PROTECT,
        related_name="people",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    # the tags that are not sensitive (see the module's docstring)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True,
                                  related_name="people")
    # the ids of the sensitive tags, a JSON list, encrypted ("" when none)
    sensitive_tags_enc = EncryptedTextField(_("sensitive tags (encrypted)"), blank=True,
                                            editable=False,
                                            associated=SENSITIVE_TAGS_ASSOCIATED)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["area__code", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["id_hash"], name="people_unique_id_hash")]
        indexes = [models.Index(fields=["phone_hash"], name="people_phone_hash")]
        permissions = [
            ("view_full_id", _("Can see full ID numbers and phone numbers")),
            ("view_sensitive_tags", _("Can see special-group (sensitive) tags")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def age(self) -> int:
        """Whole years today (shown instead of the birth date, which is part of the ID
        number)."""
        from django.utils import timezone

        today = timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class SensitiveTagLink(models.Model):
    """A person has a sensitive tag: ``token`` is ``services.tag_token(tag)``, a keyed hash of
    the tag's id (the tag cannot be told from it without ``LOOKUP_KEY``)."""

    person = models.ForeignKey("Person", on_delete=models.CASCADE,
                               related_name="sensitive_links")
    token = models.CharField(max_length=64, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "token"],
                                               name="people_unique_sensitive_link")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.token[:8]}…"


class PersonChange(models.Model):
    """One change to a person: who, when, and the record before and after (masked). The
    sensitive tags of ``before`` and ``after`` are stored encrypted in ``sensitive_enc`` (a
    JSON object {"before": [...], "after": [...]}) and put back on loading."""

    scope_path = "person__area__prefix"
    scope_q = register_scope(scope_path)

    class Action(models.TextChoices):
        CREATED = "created", _("Registered")
        UPDATED = "updated", _("Updated")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    source = models.CharField(_("source"), max_length=20, default="web")
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"))
    sensitive_enc = EncryptedTextField(_("sensitive tags (encrypted)"), blank=True,
                                       editable=False, associated=CHANGE_SENSITIVE_ASSOCIATED)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("change to a person")
        verbose_name_plural = _("changes to people")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        shown = self.before, self.after
        self.before, self.after, self.sensitive_enc = split_sensitive(self.before, self.after)
        try:
            super().save(*args, **kwargs)
        finally:
            self.before, self.after = shown

    @classmethod
    def from_db(cls, db, field_names, values):
        change = super().from_db(db, field_names, values)
        if "sensitive_enc" in change.__dict__ and "after" in change.__dict__:
            change.before, change.after = join_sensitive(change.before, change.after,
                                                         change.sensitive_enc)
        return change


def split_sensitive(before: dict | None, after: dict | None) -> tuple:
    """A change's snapshots without their sensitive tags, and those tags as the JSON text to
    encrypt ("" when there are none)."""
    import json

    tags = {}
    parts = []
    for key, snapshot in (("before", before), ("after", after)):
        if snapshot is not None and "sensitive_tags" in snapshot:
            snapshot = {k: v for k, v in snapshot.items() if k != "sensitive_tags"}
            tags[key] = (before if key == "before" else after)["sensitive_tags"]
        parts.append(snapshot)
    text = json.dumps(tags, ensure_ascii=False) if any(tags.values()) else ""
    return parts[0], parts[1], text


def join_sensitive(before: dict | None, after: dict | None, text: str) -> tuple:
    """The snapshots with their sensitive tags back (an empty list when none were stored)."""
    import json

    tags = json.loads(text) if text else {}
    joined = []
    for key, snapshot in (("before", before), ("after", after)):
        if isinstance(snapshot, dict):
            snapshot = {**snapshot, "sensitive_tags": tags.get(
                key, snapshot.get("sensitive_tags", []))}
        joined.append(snapshot)
    return joined[0], joined[1]


class AccessLog(models.Model):
    """Who opened which person's full record, when and why."""

    scope_path = "person__area__prefix"
    scope_q = register_scope(scope_path)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="accesses")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                              on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    fields = models.CharField(_("fields seen"), max_length=50, default="id_number")
    reason = models.CharField(_("reason"), max_length=200)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("access to a full record")
        verbose_name_plural = _("accesses to full records")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor_id} → {self.person_id} {self.at:%Y-%m-%d %H:%M}"



class ExportLog(models.Model):
    """One export of people (or of houses, which name their owners by ID number): who, when,
    how many rows, with which filter, with clear or masked values, and why. ``actor`` is empty
    for the system (the command line without --user)."""

    class Channel(models.TextChoices):
        WEB = "web", _("Web page")
        CLI = "cli", _("Command line")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("what"), max_length=20)
    rows = models.PositiveIntegerField(_("rows"))
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    clear = models.BooleanField(_("clear ID numbers and phones"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    channel = models.CharField(_("through"), max_length=5, choices=Channel.choices)
    file_format = models.CharField(_("format"), max_length=5)

    class Meta:
        verbose_name = _("export of personal data")
        verbose_name_plural = _("exports of personal data")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor_id or 'system'} {self.kind} {self.rows} {self.at:%Y-%m-%d %H:%M}"
