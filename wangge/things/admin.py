from django.contrib import admin

from wangge.things.models import Component


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "status", "grid"]
    list_filter = ["status"]
    search_fields = ["code", "name", "address"]
    readonly_fields = ["category", "grid"]
    autocomplete_fields = []
    raw_id_fields = ["owner_department", "maintainer_department"]

    def get_queryset(self, request):
        return Component.objects.visible_to(request.user).select_related("category", "grid")
