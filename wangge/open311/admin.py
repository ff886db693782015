from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wangge.open311.models import ApiClient, ServiceAttribute, ServiceRequest
from wangge.open311.services import rotate_key


def _show_key(request, client, key):
    messages.warning(request, _("The API key of %(name)s is %(key)s — copy it now: it is "
                                "shown only once.") % {"name": client.name, "key": key})


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Keys are made here: the new key is shown once, after saving; only its digest is kept."""

    list_display = ["name", "key_prefix", "source", "is_active", "created_at", "last_used_at"]
    list_filter = ["source", "is_active"]
    search_fields = ["name", "key_prefix", "note"]
    fields = ["name", "source", "is_active", "note", "key_prefix", "created_at",
              "last_used_at"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    actions = ["issue_new_key"]

    def save_model(self, request, obj, form, change):
        key = None if change else obj.new_key()
        super().save_model(request, obj, form, change)
        if key:
            _show_key(request, obj, key)

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def issue_new_key(self, request, queryset):
        for client in queryset:
            _show_key(request, client, rotate_key(client))


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ["category", "code", "description", "datatype", "required", "order",
                    "is_active"]
    list_filter = ["datatype", "required", "is_active"]
    search_fields = ["code", "description", "category__code", "category__name"]
    autocomplete_fields = ["category"]
    ordering = ["category__code", "order"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Read-only: what each client sent with its requests (contact details are private)."""

    list_display = ["case", "client", "created_at", "device_id", "account_id"]
    list_filter = ["client"]
    search_fields = ["case__number", "device_id", "account_id"]
    jurisdiction_path = "case__grid__prefix"  # wangge/core/admin_site.py

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
