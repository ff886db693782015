"""The admin site: rules that hold for every ModelAdmin, whichever app registers it.

- Every deletion through the admin (the delete page, the "delete selected" action, a deleted
  inline row) is written to the security audit trail as ``admin_delete`` before it happens.
- 三权分立: the 审计员 (auditor) reads the audit log and nothing else, whatever model
  permissions the account was given.
- Groups carry permissions: only superusers manage them (anyone else could grant themselves
  rights through a group they belong to).
- Jurisdiction: a staff member sees in the admin only what lies in their jurisdiction, like
  everywhere else (``get_queryset``, which the changelist, the change, delete and history
  pages, the bulk actions and the autocomplete all go through):

  * a model with a scoped manager (``Model.objects.visible_to``) is filtered by it, whatever
    the ModelAdmin's own ``get_queryset`` does;
  * otherwise the ModelAdmin names the lookups from the model to an area's prefix in
    ``jurisdiction_path`` (a string or a tuple: any of them inside the jurisdiction);
  * tables that belong to no jurisdiction are listed in ``GLOBAL_MODELS``, and models whose
    ModelAdmin scopes rows by its own rule (the accounts) in ``OWN_RULE_MODELS``;
  * any other model is for superusers only: a new admin that forgets to say how its rows are
    scoped shows nothing to anyone else, rather than the whole county.
"""

from __future__ import annotations

from django.contrib import admin

from wangge.accounts.choices import Role

AUDIT_LOG = "audit.auditevent"
SUPERUSER_ONLY = frozenset({"auth.group"})
# tables of no jurisdiction: settings, the taxonomy, system queues and keys, logs read by
# their own roles; a staff member holding the model's permissions sees every row
GLOBAL_MODELS = frozenset({
    "auth.group", "audit.auditevent", "cases.category", "cases.timelimit",
    "integrations.platform", "integrations.alarmtypemapping", "integrations.subscription",
    "jobs.outboxmessage", "open311.apiclient",
    "open311.serviceattribute", "people.tag", "people.exportlog", "workcalendar.workperiod",
    "workcalendar.calendarday",
})
# models whose ModelAdmin.get_queryset applies its own jurisdiction rule (accounts: the users
# one may manage, wangge/accounts/admin.py)
OWN_RULE_MODELS = frozenset({"accounts.user", "accounts.apitoken"})
# above this many rows a bulk deletion is one audit row listing the ids, not one row each
PER_ROW_LIMIT = 100
# the platform's settings kept as data: a change to them through the admin is audited as
# settings_changed with the fields before and after
SETTINGS_MODELS = frozenset({
    "cases.category", "cases.timelimit", "integrations.platform",
    "integrations.alarmtypemapping", "integrations.subscription", "open311.apiclient",
    "open311.serviceattribute", "people.tag", "workcalendar.workperiod",
    "workcalendar.calendarday", "dispatch.responsibilityrule", "dispatch.department",
    "evaluation.scheme", "evaluation.areaprofile",
})


def _role(user) -> str:
    return getattr(user, "role", "") if user.is_active and user.is_authenticated else ""


def jurisdiction_rule(model_admin) -> str | None:
    """How the rows of ``model_admin``'s model are scoped: "scoped" (the model's
    ``visible_to``), "path" (its ``jurisdiction_path``), "global", "own", or None (not said:
    superusers only)."""
    model = model_admin.model
    if hasattr(model._default_manager, "visible_to"):
        return "scoped"
    if getattr(model_admin, "jurisdiction_path", None):
        return "path"
    label = model._meta.label_lower
    if label in GLOBAL_MODELS:
        return "global"
    if label in OWN_RULE_MODELS:
        return "own"
    return None


def in_jurisdiction(queryset, user, paths):
    """``queryset`` filtered to the rows of which one of ``paths`` (lookups ending at an
    area's ``prefix``) lies in ``user``'s jurisdiction."""
    from django.db.models import Q

    if user.is_active and user.is_superuser:
        return queryset
    prefix = getattr(user, "scope_prefix", None) if user.is_active else None
    if not prefix:
        return queryset.none()
    if isinstance(paths, str):
        paths = (paths,)
    where = Q()
    for path in paths:
        where |= Q(**{f"{path}__startswith": prefix})
    return queryset.filter(where)


class SiteRulesMixin:
    """Mixed in front of every registered ModelAdmin by ``AdminSite.register``. (No
    ``jurisdiction_path`` here: being first in the MRO, it would hide the ModelAdmin's.)"""

    def _site_refuses(self, request) -> bool:
        label = self.model._meta.label_lower
        user = request.user
        if _role(user) == Role.AUDITOR and label != AUDIT_LOG:
            return True
        if user.is_superuser:
            return False
        return label in SUPERUSER_ONLY or jurisdiction_rule(self) is None

    # --- rows: only the jurisdiction's ------------------------------------------------------
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        rule = jurisdiction_rule(self)
        if rule == "scoped":
            if hasattr(queryset, "visible_to"):
                return queryset.visible_to(user)
            return queryset.filter(
                pk__in=self.model._default_manager.visible_to(user).values("pk"))
        if rule == "path":
            return in_jurisdiction(queryset, user, self.jurisdiction_path)
        if rule in ("global", "own") or (user.is_active and user.is_superuser):
            return queryset
        return queryset.none()

    def has_module_permission(self, request):
        return not self._site_refuses(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return not self._site_refuses(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args, **kwargs):
        return (not self._site_refuses(request)
                and super().has_add_permission(request, *args, **kwargs))

    def has_change_permission(self, request, obj=None):
        return not self._site_refuses(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._site_refuses(request) and super().has_delete_permission(request, obj)

    # --- choices: only what the staff member may see ------------------------------------------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A record can't be put in another jurisdiction: every foreign key to a scoped model
        (an area, a grid, a case, a device …) offers, and accepts, only visible rows."""
        target = db_field.remote_field.model
        if "queryset" not in kwargs and hasattr(target._default_manager, "visible_to"):
            kwargs["queryset"] = target._default_manager.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- settings changes are audited ---------------------------------------------------------
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj._meta.label_lower in SETTINGS_MODELS:
            record_settings_change(request, obj, form, change)

    # --- deletions are audited --------------------------------------------------------------
    def delete_model(self, request, obj):
        record_deletion(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        record_deletion(request, list(queryset))
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        gone = [f.instance for f in getattr(formset, "deleted_forms", [])
                if f.instance.pk is not None]
        if gone:
            record_deletion(request, gone, via=form.instance)
        super().save_formset(request, form, formset, change)


def record_deletion(request, objects, via=None) -> None:
    from wangge.audit.choices import Event
    from wangge.audit.services import record

    if not objects:
        return
    extra = {}
    if via is not None and via.pk is not None:
        extra["via"] = f"{via._meta.label_lower}:{via.pk}"
    if len(objects) <= PER_ROW_LIMIT:
        for obj in objects:
            record(Event.ADMIN_DELETE, request=request, obj=obj, **extra)
        return
    meta = objects[0]._meta
    record(Event.ADMIN_DELETE, request=request, object_type=meta.label_lower,
           object_repr=f"{len(objects)} {meta.verbose_name_plural}",
           ids=[str(o.pk) for o in objects], rows=len(objects), **extra)


def record_settings_change(request, obj, form, change) -> None:
    from wangge.audit.choices import Event
    from wangge.audit.services import record

    fields = sorted(form.changed_data) if change else sorted(form.fields)
    before = {name: form.initial.get(name) for name in fields} if change else {}
    after = {name: form.cleaned_data.get(name) for name in fields if name in form.cleaned_data}
    record(Event.SETTINGS_CHANGED, request=request, obj=obj,
           action="changed" if change else "added", fields=fields,
           before=_plain(before), after=_plain(after))


def _plain(values: dict) -> dict:
    """Form values as JSON: model instances by their pk, querysets and lists by their pks."""
    plain = {}
    for name, value in values.items():
        if hasattr(value, "pk"):
            value = value.pk
        elif hasattr(value, "values_list"):
            value = list(value.values_list("pk", flat=True))
        elif isinstance(value, list | tuple | set):
            value = [getattr(item, "pk", item) for item in value]
        plain[name] = value if isinstance(value, str | int | float | bool | list | None) \
            else str(value)
    return plain


class AdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SiteRulesMixin):
            admin_class = type(admin_class.__name__, (SiteRulesMixin, admin_class),
                               {"__module__": admin_class.__module__,
                                "__qualname__": admin_class.__qualname__})
        super().register(model_or_iterable, admin_class, **options)
