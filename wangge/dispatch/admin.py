from django.contrib import admin

from wangge.dispatch.models import Department, ResponsibilityRule


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["area"]

    def get_queryset(self, request):
        return Department.objects.visible_to(request.user).select_related("area")


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "department", "note"]
    search_fields = ["category__name", "category__code", "department__name"]
    autocomplete_fields = ["category", "area", "department"]

    def get_queryset(self, request):
        return ResponsibilityRule.objects.visible_to(request.user).select_related(
            "category", "area", "department")
