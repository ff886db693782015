from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wangge.territory import services
from wangge.territory.models import Area, GridStaff


class AreaForm(forms.ModelForm):
    class Meta:
        model = Area
        fields = ["code", "name", "parent", "valid_from", "valid_to", "geometry", "attributes"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        area = self.instance
        for name in self.Meta.fields:
            if name in cleaned:
                setattr(area, name, cleaned[name])
        from wangge.territory import codes

        area.level = codes.level_of(area.code or "") or 0
        area.prefix = codes.prefix_of(area.code) if area.level else ""
        for field, message in services.validate_area(area).items():
            self.add_error(None if field not in self.fields else field, message)
        return cleaned


class StaffInline(admin.TabularInline):
    model = GridStaff
    extra = 0
    autocomplete_fields = ["user"]


class ChildInline(admin.TabularInline):
    model = Area
    fk_name = "parent"
    fields = ["code", "name", "level", "area_km2"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("children")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    form = AreaForm
    list_display = ["code", "name", "level", "parent", "area_km2", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["level", "area_km2", "centroid_lon", "centroid_lat"]
    inlines = [ChildInline, StaffInline]
    list_per_page = 50

    def get_queryset(self, request):
        return Area.objects.visible_to(request.user).select_related("parent")

    def save_model(self, request, obj, form, change):
        services.save_area(obj, actor=request.user)


@admin.register(GridStaff)
class GridStaffAdmin(admin.ModelAdmin):
    list_display = ["grid", "user", "post", "since"]
    list_filter = ["post"]
    search_fields = ["grid__code", "grid__name", "user__username", "user__display_name"]
    autocomplete_fields = ["grid", "user"]

    def get_queryset(self, request):
        return GridStaff.objects.visible_to(request.user).select_related("grid", "user")
