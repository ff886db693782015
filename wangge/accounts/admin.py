from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "jurisdiction", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "phone"]
    autocomplete_fields = ["jurisdiction"]
    fieldsets = (*BaseUserAdmin.fieldsets, (
        _("Work"), {"fields": ("display_name", "role", "jurisdiction", "organisation", "phone")}
    ))

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("jurisdiction")
        if request.user.is_superuser:
            return queryset
        prefix = request.user.scope_prefix or "-"
        return queryset.filter(jurisdiction__prefix__startswith=prefix)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "created_at", "last_used_at", "revoked"]
    readonly_fields = ["digest", "created_at", "last_used_at"]
