from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wangge.cases.models import Case, CaseEvent, Category, Supervision, TimeLimit


class LimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "kind", "default_tier", "department_kind",
                    "default_urgency", "is_active", "public"]
    list_filter = ["kind", "default_tier", "department_kind", "is_active", "public"]
    search_fields = ["code", "name"]
    inlines = [LimitInline]


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    list_display = ["category", "step", "urgency", "amount", "unit"]
    list_filter = ["step", "urgency", "unit"]
    search_fields = ["category__code", "category__name"]


class EventInline(admin.TabularInline):
    """The timeline: append-only, neither changed nor deleted here (nor with its case)."""

    model = CaseEvent
    fields = ["at", "action", "actor_label", "from_status", "to_status", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through their transitions (the web UI and the API)."""

    list_display = ["number", "category", "status", "tier", "grid", "reported_at"]
    list_filter = ["status", "tier", "source", "urgency"]
    search_fields = ["number", "description", "address"]
    inlines = [EventInline]
    exclude = ["reporter_phone"]  # stored encrypted, shown masked
    readonly_fields = ["reporter_phone_masked"]

    @admin.display(description=_("reporter phone"))
    def reporter_phone_masked(self, obj):
        from wangge.core.identifiers import mask_phone

        return mask_phone(obj.reporter_phone or "") or "—"

    def get_queryset(self, request):
        return Case.objects.visible_to(request.user).select_related("category", "grid")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    list_display = ["case", "level", "automatic", "step", "created_at", "replied_at"]
    list_filter = ["level", "automatic"]

    def get_queryset(self, request):
        return Supervision.objects.visible_to(request.user).select_related("case")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a supervision record stays (等保: no deletion of the case record)
