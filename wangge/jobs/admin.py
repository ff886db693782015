from django.contrib import admin

from wangge.jobs.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "state", "attempts", "created_at", "done_at", "last_error"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False
