from django.contrib import admin

from wangge.organisations import services
from wangge.organisations.models import Inspection, Organisation, OrganisationDevice


class ReadOnly:
    """Inspections are recorded on the organisation's page (through the service, with their
    history); the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class InspectionInline(ReadOnly, admin.TabularInline):
    model = Inspection
    extra = 0
    fields = ["date", "inspector", "result", "issues", "follow_up_date"]
    raw_id_fields = ["inspector"]


class DeviceInline(admin.TabularInline):
    model = OrganisationDevice
    extra = 0
    raw_id_fields = ["device"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "risk_level", "grid"]
    list_filter = ["kind", "risk_level"]
    search_fields = ["name", "credit_code", "address"]
    raw_id_fields = ["grid"]
    inlines = [InspectionInline, DeviceInline]

    def get_queryset(self, request):
        return Organisation.objects.visible_to(request.user).select_related("grid")

    def save_model(self, request, obj, form, change):
        """Through the service, so the change is checked and kept in the history."""
        services.save_organisation(request.user, obj, source="web admin",
                                   **{name: getattr(obj, name) for name in services.EDITABLE})


@admin.register(Inspection)
class InspectionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["organisation", "date", "result", "inspector", "follow_up_date"]
    list_filter = ["result"]
    raw_id_fields = ["organisation", "inspector", "recorded_by"]

    def get_queryset(self, request):
        return Inspection.objects.visible_to(request.user).select_related("organisation")
