"""The audit trail in the admin: read-only, and only for the 审计员 (auditor) role."""

from django.contrib import admin

from wangge.accounts.choices import Role
from wangge.audit.models import AuditEvent


def is_auditor(user) -> bool:
    return bool(user.is_active and user.is_authenticated
                and getattr(user, "role", "") == Role.AUDITOR)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "at", "event", "outcome", "actor_username", "client_ip",
                    "object_repr"]
    list_filter = ["event", "outcome"]
    search_fields = ["actor_username", "object_repr", "object_id", "client_ip"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = None

    def has_module_permission(self, request):
        return is_auditor(request.user)

    def has_view_permission(self, request, obj=None):
        return is_auditor(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
