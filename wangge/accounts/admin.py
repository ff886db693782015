from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.accounts.admin_hooks import AdminSetPasswordMixin
from wangge.accounts.choices import POWER_ROLES
from wangge.accounts.models import ApiToken, User
from wangge.accounts.privileges import (
    grantable_roles,
    is_security_admin,
    is_system_admin,
    separation_problem,
)
from wangge.accounts.services import account_snapshot, record_account_change, revoke_token

# Fields only a superuser may see or set on an account: they grant rights beyond a jurisdiction.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "groups", "user_permissions")
# What a security administrator may change on an account (the rest is shown read-only).
SECURITY_FIELDS = ("is_active", "locked_until")


def visible_users(user, queryset=None):
    """The accounts ``user`` may see and choose (e.g. as a grid's staff): a superuser all;
    anyone else the accounts whose jurisdiction lies inside their own, superusers excepted
    (they cannot be taken over)."""
    queryset = User.objects.all() if queryset is None else queryset
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    prefix = user.scope_prefix
    if not prefix:
        return queryset.none()
    return queryset.filter(jurisdiction__prefix__startswith=prefix, is_superuser=False)


def may_manage_accounts(user) -> bool:
    """Superusers and 系统管理员 create and change accounts; 安全管理员 look after their
    security (see wangge/accounts/privileges.py)."""
    return is_system_admin(user) or is_security_admin(user)


def manageable_users(user, queryset=None):
    """The accounts ``user`` may open in the accounts admin: a system administrator those of
    his jurisdiction whose role he could grant; a security administrator every account of
    his jurisdiction (superusers excepted); nobody else any."""
    queryset = User.objects.all() if queryset is None else queryset
    if user is None or not may_manage_accounts(user):
        return queryset.none()
    queryset = visible_users(user, queryset)
    if user.is_superuser:
        return queryset
    # 三权分立: the holders of the three powers (and one's own account) are looked after by a
    # superuser only, so that no one of them can set another's password or second factor and
    # take the account over; one's own password is changed on /account/password/
    queryset = queryset.exclude(role__in=POWER_ROLES).exclude(pk=user.pk)
    if is_security_admin(user):
        return queryset
    return queryset.filter(role__in=grantable_roles(user))


def scoped_choices(model, user):
    """The objects of ``model`` that ``user`` may choose in a form, or None when unscoped."""
    if model is User:
        return visible_users(user)
    if hasattr(model._default_manager, "visible_to"):
        return model._default_manager.visible_to(user)
    return None


def refuse_unless(condition: bool, message=None) -> None:
    """A backstop behind the forms' limited choices: never save what the user can't see."""
    if not condition:
        raise PermissionDenied(message or _("This object is outside your jurisdiction."))


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


def _separation_checked(form_class):
    """The account form with the 三权分立 rule: a superuser is a system administrator."""

    class Form(form_class):
        def clean(self):
            data = super().clean()
            role = data.get("role", getattr(self.instance, "role", ""))
            superuser = data.get("is_superuser", getattr(self.instance, "is_superuser", False))
            if separation_problem(role, superuser):
                raise forms.ValidationError(_(
                    "A superuser is a system administrator: give a superuser the role system "
                    "administrator. The security administrator and the auditor must be other "
                    "accounts (separation of duties)."))
            return data

    Form.__name__ = form_class.__name__
    return Form


@admin.register(User)
class UserAdmin(AdminSetPasswordMixin, ScopedChoicesMixin, BaseUserAdmin):
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
    security_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Work"), {"fields": ("display_name", "role", "jurisdiction", "organisation")}),
        (_("Security"), {"fields": ("is_active", "locked_until", "last_login")}),
    )
    actions = ["unlock", "reset_two_factor"]

    # --- who may do what -----------------------------------------------------------------
    def has_module_permission(self, request):
        return may_manage_accounts(request.user)

    @staticmethod
    def _picking(request) -> bool:
        """An autocomplete for a form elsewhere (a grid's staff in the territory admin)."""
        match = getattr(request, "resolver_match", None)
        return match is not None and match.url_name == "autocomplete"

    def has_view_permission(self, request, obj=None):
        if may_manage_accounts(request.user):
            return True
        # staff allowed to view accounts may pick one of their jurisdiction in another form
        # (names only: the accounts pages stay closed to them)
        return self._picking(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_system_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_accounts(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_system_admin(request.user)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._picking(request):
            return visible_users(request.user, queryset)
        return manageable_users(request.user, queryset).select_related("jurisdiction")

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (request.user.is_superuser or is_security_admin(request.user)):
            # unlocking and two-factor resets are the security administrator's (三权分立)
            actions.pop("unlock", None)
            actions.pop("reset_two_factor", None)
        return actions

    # --- the form --------------------------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        if is_security_admin(request.user) and obj is not None:
            return self.security_fieldsets
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"]
                                          if f not in SUPERUSER_ONLY_FIELDS]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if is_security_admin(request.user) and obj is not None:
            readonly += [f for _name, options in self.security_fieldsets
                         for f in options["fields"]
                         if f not in SECURITY_FIELDS and f != "password"]
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = _separation_checked(super().get_form(request, obj, **kwargs))
        fields = form.base_fields
        if not request.user.is_superuser:
            if "jurisdiction" in fields:
                # an account without a jurisdiction would vanish from this user's sight at once
                fields["jurisdiction"].required = True
            if "role" in fields:
                allowed = set(grantable_roles(request.user))
                fields["role"].choices = [(value, label) for value, label
                                          in fields["role"].choices if value in allowed]
        return form

    # --- saving: the backstop and the audit ---------------------------------------------------
    def save_model(self, request, obj, form, change):
        actor = request.user
        if not actor.is_superuser:
            if is_security_admin(actor):
                before = User.objects.get(pk=obj.pk)
                refuse_unless(all(getattr(before, f.attname) == getattr(obj, f.attname)
                                  for f in User._meta.concrete_fields
                                  if f.name not in (*SECURITY_FIELDS, "password")),
                              _("A security administrator changes only an account's "
                                "security settings."))
            else:
                refuse_unless(not obj.is_superuser and obj.jurisdiction_id is not None
                              and actor.can_see_area(obj.jurisdiction))
                refuse_unless(obj.role in grantable_roles(actor),
                              _("You may not grant this role."))
        refuse_unless(not separation_problem(obj.role, obj.is_superuser),
                      _("A superuser is a system administrator (separation of duties)."))
        form._account_before = account_snapshot(obj) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(form, "_account_before", None)
        if before is not None:
            record_account_change(actor=request.user, user=form.instance, before=before,
                                  request=request)

    # --- the security administrator's actions ----------------------------------------------
    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request, queryset):
        count = 0
        for user in queryset.filter(locked_until__gt=timezone.now()):
            before = account_snapshot(user)
            User.objects.filter(pk=user.pk).update(locked_until=None, failed_logins=0)
            record_account_change(actor=request.user, user=user, before=before,
                                  request=request)
            count += 1
        self.message_user(request, gettext("%(n)d accounts unlocked.") % {"n": count})

    @admin.action(description=_("Reset two-factor login of the selected accounts"))
    def reset_two_factor(self, request, queryset):
        from wangge.accounts import mfa

        count = sum(mfa.disable(user, actor=request.user, request=request,
                                reason="reset in the admin")
                    for user in queryset)
        self.message_user(request, gettext("Two-factor login reset for %(n)d accounts; they "
                                           "enrol again at their next login.") % {"n": count},
                          messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Tokens are issued with ``wangge create-token`` (the key is shown once); here the
    administrators of accounts look at them, rename and revoke them (revocation is audited and
    final)."""

    list_display = ["user", "name", "scope", "created_at", "expires_at", "last_used_at",
                    "revoked"]
    list_filter = ["revoked", "scope"]
    search_fields = ["name", "user__username", "user__display_name"]
    readonly_fields = ["user", "digest", "scope", "created_at", "expires_at", "last_used_at"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return may_manage_accounts(request.user)

    def has_view_permission(self, request, obj=None):
        return may_manage_accounts(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_accounts(request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays as the record of the token

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        return queryset.filter(user__in=manageable_users(request.user))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.revoked:
            readonly.append("revoked")
        return readonly

    def save_model(self, request, obj, form, change):
        refuse_unless(manageable_users(request.user).filter(pk=obj.user_id).exists())
        was_revoked = change and ApiToken.objects.filter(pk=obj.pk, revoked=True).exists()
        now_revoked = obj.revoked
        obj.revoked = was_revoked  # the service revokes (and audits); nothing un-revokes
        super().save_model(request, obj, form, change)
        if now_revoked and not was_revoked:
            revoke_token(actor=request.user, token=obj, request=request,
                         reason="revoked in the admin")

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = sum(revoke_token(actor=request.user, token=token, request=request,
                                 reason="revoked in the admin")
                    for token in queryset.filter(revoked=False))
        self.message_user(request, gettext("%(n)d tokens revoked.") % {"n": count})
