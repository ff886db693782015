"""Tags are managed here; the access log can be read here. People themselves are not in the
admin: their ID numbers and phones are only ever shown masked, through the people pages."""

from django.contrib import admin

from wangge.people.models import AccessLog, ExportLog, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "sensitive"]
    list_filter = ["group", "sensitive"]
    search_fields = ["name"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "person", "fields", "reason"]
    list_select_related = ["actor", "person"]
    search_fields = ["reason", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "kind", "rows", "clear", "channel", "file_format", "filters",
                    "reason"]
    list_filter = ["kind", "clear", "channel"]
    list_select_related = ["actor"]
    search_fields = ["reason", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
