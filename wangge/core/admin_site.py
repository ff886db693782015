"""The admin site: rules that hold for every ModelAdmin, whichever app registers it.

- Every deletion through the admin (the delete page, the "delete selected" action, a deleted
  inline row) is written to the security audit trail as ``admin_delete`` before it happens.
- 三权分立: the 审计员 (auditor) reads the audit log and nothing else, whatever model
  permissions the account was given.
- Groups carry permissions: only superusers manage them (anyone else could grant themselves
  rights through a group they belong to).
"""

from __future__ import annotations

from django.contrib import admin

from wangge.accounts.choices import Role

AUDIT_LOG = "audit.auditevent"
SUPERUSER_ONLY = frozenset({"auth.group"})
# above this many rows a bulk deletion is one audit row listing the ids, not one row each
PER_ROW_LIMIT = 100


def _role(user) -> str:
    return getattr(user, "role", "") if user.is_active and user.is_authenticated else ""


class SiteRulesMixin:
    """Mixed in front of every registered ModelAdmin by ``AdminSite.register``."""

    def _site_refuses(self, request) -> bool:
        label = self.model._meta.label_lower
        user = request.user
        if _role(user) == Role.AUDITOR and label != AUDIT_LOG:
            return True
        return label in SUPERUSER_ONLY and not user.is_superuser

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


class AdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SiteRulesMixin):
            admin_class = type(admin_class.__name__, (SiteRulesMixin, admin_class),
                               {"__module__": admin_class.__module__,
                                "__qualname__": admin_class.__qualname__})
        super().register(model_or_iterable, admin_class, **options)
