"""Open311 GeoReport v2: API clients, the extra questions of a service, and what a client sent
with a request that the case itself does not keep."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import Source

KEY_PREFIX = "o311_"
SHOWN_PREFIX_LENGTH = 12  # "o311_" and the key's first 7 characters: enough to tell keys apart
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,50}$")


def digest(key: str) -> str:
    """Keys are long random strings, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiClient(models.Model):
    """A system allowed to POST service requests (a 12345 hotline, a mini-program …).

    Only the key's SHA-256 digest is stored; the key itself is shown once, when issued."""

    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key prefix"), max_length=SHOWN_PREFIX_LENGTH,
                                  editable=False)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    source = models.CharField(_("source channel"), max_length=12, choices=Source.choices,
                              default=Source.RESIDENT,
                              help_text=_("The channel recorded on the cases this client "
                                          "reports."))
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True,
                                        editable=False)

    class Meta:
        verbose_name = _("Open311 API client")
        verbose_name_plural = _("Open311 API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    def new_key(self) -> str:
        """Give the client a new key (the old one stops working) and return it, once."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.key_prefix = key[:SHOWN_PREFIX_LENGTH]
        self.key_digest = digest(key)
        return key


class Datatype(models.TextChoices):
    STRING = "string", _("Short text")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Long text")
    SINGLE = "singlevaluelist", _("One choice from a list")
    MULTI = "multivaluelist", _("Several choices from a list")


LIST_TYPES = (Datatype.SINGLE, Datatype.MULTI)


class ServiceAttribute(models.Model):
    """An extra question asked when a case of this 小类 is reported through Open311."""

    category = models.ForeignKey("cases.Category", verbose_name=_("category"),
                                 on_delete=models.CASCADE, related_name="open311_attributes",
                                 limit_choices_to={"parent__isnull": False})
    code = models.CharField(_("code"), max_length=50,
                            help_text=_("Letters, digits, - and _; sent as attribute[code]."))
    variable = models.BooleanField(
        _("asks for input"), default=True,
        help_text=_("Off: the text is only shown to the person reporting, nothing is asked."))
    datatype = models.CharField(_("datatype"), max_length=20, choices=Datatype.choices,
                                default=Datatype.STRING)
    required = models.BooleanField(_("required"), default=False)
    description = models.CharField(_("question"), max_length=200)
    datatype_description = models.CharField(_("hint on the answer"), max_length=200,
                                            blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    values = models.JSONField(_("choices"), default=list, blank=True,
                              help_text=_('For list datatypes: [{"key": "1", "name": "…"}, …]'))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        ordering = ["category__code", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "code"],
                                               name="open311_one_attribute_code_per_category")]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"

    def clean(self):
        errors = {}
        if self.category_id and self.category.parent_id is None:
            errors["category"] = _("Choose a minor category (小类).")
        if not CODE_RE.match(self.code or ""):
            errors["code"] = _("Use 1–50 letters, digits, - or _.")
        if self.datatype in LIST_TYPES:
            problem = values_problem(self.values)
            if problem:
                errors["values"] = problem
        elif self.values:
            errors["values"] = _("Only list datatypes have choices.")
        if errors:
            raise ValidationError(errors)

    def keys(self) -> dict[str, str]:
        return {str(v["key"]): str(v["name"]) for v in self.values or []}


def values_problem(values) -> str | None:
    if not isinstance(values, list) or not values:
        return _("Give a non-empty list of choices.")
    seen = set()
    for item in values:
        if not (isinstance(item, dict) and isinstance(item.get("key"), str | int)
                and isinstance(item.get("name"), str) and str(item["key"]).strip()
                and item["name"].strip()):
            return _('Each choice is {"key": "…", "name": "…"}.')
        if str(item["key"]) in seen:
            return _("Choice keys must be unique.")
        seen.add(str(item["key"]))
    return None


class ServiceRequest(models.Model):
    """What an Open311 client sent with a case beyond what the case keeps. Private: the
    contact fields are never shown by the public GET methods."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE,
                                related_name="open311")
    client = models.ForeignKey(ApiClient, verbose_name=_("API client"),
                               on_delete=models.PROTECT, related_name="requests")
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    email = models.EmailField(_("email"), blank=True)
    device_id = models.CharField(_("device id"), max_length=100, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=50, blank=True)
    last_name = models.CharField(_("last name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address_string = models.CharField(_("address"), max_length=200, blank=True)
    address_id = models.CharField(_("address id"), max_length=18, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("Open311 service request")
        verbose_name_plural = _("Open311 service requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} via {self.client_id}"
