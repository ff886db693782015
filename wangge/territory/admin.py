from django import forms
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.accounts.admin import ScopedChoicesMixin, refuse_unless, visible_users
from wangge.territory import codes, services
from wangge.territory.models import Area, GridStaff


class AreaForm(forms.ModelForm):
    # set by AreaAdmin.get_form on the class it builds for each request
    user = None

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
        problem = codes.code_problem(area.code)
        if problem:  # checked first: without a well-formed code there is no level or prefix
            self._add_error("code", problem)
            return cleaned
        area.level = codes.level_of(area.code)
        area.prefix = codes.prefix_of(area.code)
        user = self.user
        if user is not None and not user.is_superuser and not user.can_see_area(area):
            self._add_error("code", gettext("This code is outside your jurisdiction."))
            return cleaned
        for field, message in services.validate_area(area).items():
            self._add_error(field, message)
        return cleaned

    def _add_error(self, field, message):
        self.add_error(field if field in self.fields else None, message)


class StaffInline(ScopedChoicesMixin, admin.TabularInline):
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


def can_see_staff(user, staff: GridStaff) -> bool:
    return user.can_see_area(staff.grid) and visible_users(user).filter(pk=staff.user_id).exists()


@admin.register(Area)
class AreaAdmin(ScopedChoicesMixin, admin.ModelAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # a code is an identity (prefixes, scoping, exports hang on it): never edited
            fields.insert(0, "code")
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        refuse_unless(request.user.can_see_area(obj))
        services.save_area(obj, actor=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is GridStaff:
            for staff_form in formset.forms:
                if staff_form.has_changed() and not staff_form.cleaned_data.get("DELETE"):
                    refuse_unless(can_see_staff(request.user, staff_form.instance))
        super().save_formset(request, form, formset, change)


@admin.register(GridStaff)
class GridStaffAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    list_display = ["grid", "user", "post", "since"]
    list_filter = ["post"]
    search_fields = ["grid__code", "grid__name", "user__username", "user__display_name"]
    autocomplete_fields = ["grid", "user"]

    def get_queryset(self, request):
        return GridStaff.objects.visible_to(request.user).select_related("grid", "user")

    def save_model(self, request, obj, form, change):
        refuse_unless(can_see_staff(request.user, obj))
        super().save_model(request, obj, form, change)
