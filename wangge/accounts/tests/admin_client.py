"""Helpers for admin tests: staff with model permissions, and forms posted back as rendered."""

from __future__ import annotations

from django.contrib.auth.models import Permission

STAFF_MODELS = {"territory": ["area", "gridstaff"], "accounts": ["user", "apitoken"]}


def make_staff(user):
    """``user`` as admin staff with every permission on the territory and account models."""
    user.is_staff = True
    user.save()
    for app_label, models in STAFF_MODELS.items():
        user.user_permissions.add(*Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models))
    return user


def form_data(response, **changes) -> dict:
    """The POST data of an admin add/change page as rendered, with ``changes`` applied
    (None removes a field). Inline formsets are sent empty."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        widget = getattr(field.widget, "widget", field.widget)  # related-field wrapper
        if hasattr(widget, "decompress"):  # split date and time
            parts = value if isinstance(value, list) else widget.decompress(value)
            for i, part in enumerate(parts):
                data[f"{name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is None:
            data[name] = ""
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    for inline in response.context.get("inline_admin_formsets", []):
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        elif isinstance(value, bool):
            data.pop(name, None)
            if value:
                data[name] = "on"
        else:
            data[name] = value
    return data


def form_errors(response) -> dict:
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors
