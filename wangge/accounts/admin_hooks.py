"""What the user admin does about passwords an administrator chooses (等保三级: a password set
by someone else must be changed at the next login). A mixin for ``accounts.admin.UserAdmin``,
kept here so that admin.py carries only the one line that uses it."""

from __future__ import annotations

from wangge.accounts.models import User
from wangge.accounts.passwords import password_set_by_admin


class AdminSetPasswordMixin:
    def save_model(self, request, obj, form, change):
        if not change and obj.has_usable_password():
            obj.must_change_password = True  # the administrator knows the first password
        super().save_model(request, obj, form, change)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if (request.method == "POST" and response.status_code == 302
                and response.url != request.get_full_path()):
            user = User.objects.filter(pk=self.get_object(request, id).pk).first()
            if user is not None and user.has_usable_password():
                password_set_by_admin(actor=request.user, user=user, request=request,
                                      via="admin")
        return response
