from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from wangge.accounts.models import ApiToken, User

# Fields only a superuser may see or set on an account: they grant rights beyond a jurisdiction.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")


def visible_users(user, queryset=None):
    """The accounts ``user`` may see in the admin: a superuser all; anyone else the accounts
    whose jurisdiction lies inside their own, superusers excepted (they cannot be taken over)."""
    queryset = User.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    prefix = user.scope_prefix
    if not prefix:
        return queryset.none()
    return queryset.filter(jurisdiction__prefix__startswith=prefix, is_superuser=False)


def scoped_choices(model, user):
    """The objects of ``model`` that ``user`` may choose in a form, or None when unscoped."""
    if model is User:
        return visible_users(user)
    if hasattr(model._default_manager, "visible_to"):
        return model._default_manager.visible_to(user)
    return None


def refuse_unless(condition: bool) -> None:
    """A backstop behind the forms' limited choices: never save what the user can't see."""
    if not condition:
        raise PermissionDenied(_("This object is outside your jurisdiction."))


class ScopedChoicesMixin:
    """Every foreign-key choice (selects and autocompletes alike) limited to the user's scope.

    The autocomplete endpoint asks the target model's admin, whose ``get_queryset`` is scoped
    too; the form field's queryset here is what a submitted id is validated against.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = scoped_choices(db_field.remote_field.model, request.user)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(ScopedChoicesMixin, BaseUserAdmin):
    list_display = ["username", "display_name", "role", "jurisdiction", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "phone"]
    autocomplete_fields = ["jurisdiction"]
    fieldsets = (*BaseUserAdmin.fieldsets, (
        _("Work"), {"fields": ("display_name", "role", "jurisdiction", "organisation", "phone")}
    ))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, (
        _("Work"), {"fields": ("display_name", "role", "jurisdiction")}
    ))

    def get_queryset(self, request):
        return visible_users(request.user, super().get_queryset(request)).select_related(
            "jurisdiction")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"]
                                          if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "jurisdiction" in form.base_fields:
            # an account without a jurisdiction would vanish from this user's sight at once
            form.base_fields["jurisdiction"].required = True
        return form

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            refuse_unless(not obj.is_superuser and obj.jurisdiction_id is not None
                          and request.user.can_see_area(obj.jurisdiction))
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Tokens are issued with ``wangge create-token`` (the key is shown once); here they can be
    looked at, renamed and revoked."""

    list_display = ["user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["name", "user__username", "user__display_name"]
    readonly_fields = ["user", "digest", "created_at", "last_used_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return queryset
        prefix = request.user.scope_prefix
        if not prefix:
            return queryset.none()
        return queryset.filter(user__jurisdiction__prefix__startswith=prefix,
                               user__is_superuser=False)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            refuse_unless(visible_users(request.user).filter(pk=obj.user_id).exists())
        super().save_model(request, obj, form, change)
