from __future__ import annotations

import math
import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import Satisfaction

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
NUMBER_RE = re.compile(r"^\d{8,20}$")
CLIENT_REF_RE = re.compile(r"^[0-9a-f]{32}$")
CRS_CHOICES = [("wgs84", "WGS-84"), ("gcj02", "GCJ-02"), ("bd09", "BD-09")]
MAX_PHOTOS = 3
FIELDS_BYTES = 1024 * 1024  # room for the text fields of a report, beside its photos


def max_report_bytes() -> int:
    """The largest body a resident's report may have: three photos of the upload limit and the
    text fields. Larger bodies are refused before they are read."""
    return MAX_PHOTOS * int(settings.WANGGE.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)) \
        + FIELDS_BYTES


def check_photos(files) -> str | None:
    """What is wrong with a resident's photos (at most three, each a real image within the
    upload limit), or None."""
    from wangge.cases.services import CaseError
    from wangge.cases.uploads import check_upload

    if len(files) > MAX_PHOTOS:
        return gettext("Send at most %(count)d photos.") % {"count": MAX_PHOTOS}
    for upload in files:
        try:
            content_type = check_upload(upload)
        except CaseError as exc:
            return exc.message
        if not content_type.startswith("image/"):
            return gettext("%(name)s is not a photo.") % {"name": upload.name}
    return None


def normalise_mobile(value: str) -> str:
    """A mainland mobile number as 11 digits ('' when empty); spaces, dashes and +86 go."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("Type of problem"), error_messages={
        "required": _("Choose the type of problem."),
        "invalid_choice": _("Choose the type of problem from the list.")})
    description = forms.CharField(label=_("What is wrong?"), max_length=1000,
                                  widget=forms.Textarea, error_messages={
                                      "required": _("Describe the problem in a few words.")})
    address = forms.CharField(label=_("Address or landmark"), max_length=200, required=False)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    crs = forms.ChoiceField(choices=CRS_CHOICES, required=False, widget=forms.HiddenInput)
    grid = forms.CharField(max_length=18, required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    client_ref = forms.CharField(max_length=32, required=False, widget=forms.HiddenInput)
    # the honeypot: hidden from people, filled in by bots
    website = forms.CharField(required=False)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "")] + [(c.code, c.name) for c in categories]

    def clean_description(self):
        return self.cleaned_data["description"].strip()

    def clean_phone(self):
        phone = normalise_mobile(self.cleaned_data.get("phone", ""))
        if phone and not MOBILE_RE.match(phone):
            raise forms.ValidationError(_(
                "Enter an 11-digit mainland mobile number such as 13812345678, or leave it "
                "empty."))
        return phone

    def clean_grid(self):
        grid = self.cleaned_data.get("grid", "").strip()
        if grid and not grid.isdigit():
            raise forms.ValidationError(_("The building code is not valid."))
        return grid

    def clean_client_ref(self):
        ref = self.cleaned_data.get("client_ref", "").strip().lower()
        return ref if CLIENT_REF_RE.match(ref) else ""

    def clean(self):
        data = super().clean()
        lon, lat = data.get("lon"), data.get("lat")
        for value in (lon, lat):
            if value is not None and not math.isfinite(value):
                data["lon"] = data["lat"] = lon = lat = None
        if (lon is None) != (lat is None) or (lon is None and not data.get("grid")):
            self.add_error(None, forms.ValidationError(_(
                "Tell us where the problem is: use your current position, tap the map, or "
                "scan the code on the building."), code="location"))
        return data


class LookupForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=30, error_messages={
        "required": _("Enter the case number.")})
    digits = forms.CharField(label=_("Last 4 digits of your phone"), max_length=8,
                             error_messages={"required": _("Enter the last 4 digits.")})

    def clean_number(self):
        number = re.sub(r"\s", "", self.cleaned_data["number"])
        if not NUMBER_RE.match(number):
            raise forms.ValidationError(_("A case number is made of digits, like "
                                          "2026010100001."))
        return number

    def clean_digits(self):
        digits = re.sub(r"\s", "", self.cleaned_data["digits"])
        if not re.fullmatch(r"\d{4}", digits):
            raise forms.ValidationError(_("Enter exactly 4 digits."))
        return digits


class RateForm(forms.Form):
    satisfaction = forms.ChoiceField(label=_("How satisfied are you?"),
                                     choices=Satisfaction.choices,
                                     widget=forms.RadioSelect, error_messages={
                                         "required": _("Choose one of the three answers.")})
    comment = forms.CharField(label=_("Comment (optional)"), max_length=500, required=False,
                              widget=forms.Textarea)
