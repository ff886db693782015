from django.contrib import admin

from wangge.things import services
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

    def save_model(self, request, obj, form, change):
        """Through the service, so the change is checked and kept in the history."""
        services.save_component(request.user, obj, source="web admin",
                                **{name: getattr(obj, name) for name in services.EDITABLE})
