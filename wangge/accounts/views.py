"""Login, two-factor login, logout, the own password and the account page.

Every step writes the audit trail: login (with its method), login_failed (with the username
tried and why), lockout (backends.count_failure), mfa_failed, mfa_enabled, mfa_disabled,
password_changed, logout.
"""

from __future__ import annotations

import math

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from wangge.accounts import mfa
from wangge.accounts.backends import clear_failures, count_failure, is_locked
from wangge.accounts.forms import (
    CodeForm,
    ConfirmPasswordForm,
    EnrolForm,
    LoginForm,
    OwnPasswordChangeForm,
)
from wangge.accounts.passwords import (
    change_own_password,
    password_change_reason,
    password_expires_at,
    record_login,
    record_login_failed,
    record_logout,
)
from wangge.audit.choices import Event, Outcome
from wangge.audit.services import record
from wangge.core.ratelimit import client_ip, hit, limit, retry_after


def _next(request, default="home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


def _with_next(url: str, target: str) -> str:
    return f"{url}?{urlencode({'next': target})}" if target else url


def _throttled(request, template, context, wait: int):
    context |= {"throttled_minutes": max(1, math.ceil(wait / 60))}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


# --- login and logout -------------------------------------------------------------------------
class LoginView(auth_views.LoginView):
    """Django's login with a per-address throttle (the "login" rate limit: failed logins and
    wrong codes from one address, whatever the usernames) besides the per-account lock."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.pop("site_name", None)  # the site's name, not the host's (context processor)
        return context

    def post(self, request, *args, **kwargs):
        wait = retry_after("login", client_ip(request))
        if wait is not None:
            username = str(request.POST.get("username", ""))[:150]
            record_login_failed(request, username, "throttled", limit=limit("login").count)
            return _throttled(request, self.template_name,
                              self.get_context_data(form=self.get_form_class()(request)), wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        hit("login", client_ip(self.request))
        username = str(self.request.POST.get("username", ""))[:150]
        record_login_failed(self.request, username,
                            getattr(self.request, "login_failure", "incomplete_form"))
        return super().form_invalid(form)

    def form_valid(self, form):
        user = form.get_user()
        target = self.get_success_url()
        from django.contrib.auth import login as auth_login

        auth_login(self.request, user)
        if mfa.has_mfa(user):  # the login is complete (and recorded) once the code is right
            return HttpResponseRedirect(_with_next(reverse("account:verify"), target))
        record_login(self.request, user, "password",
                     mfa_enrolment_required=mfa.required_for(user))
        return HttpResponseRedirect(target)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            record_logout(request, request.user)
        return super().post(request, *args, **kwargs)


# --- the second factor ------------------------------------------------------------------------
@never_cache
@sensitive_post_parameters("code")
@login_required
def verify(request):
    """The code step of a login (the gate sends every other page here until it is done)."""
    user = request.user
    target = _next(request)
    if mfa.is_verified(request) or not mfa.has_mfa(user):
        return redirect(target)
    template = "accounts/mfa_verify.html"
    form = CodeForm(request.POST or None)
    context = {"form": form, "next": target}
    if request.method != "POST":
        return render(request, template, context)
    if is_locked(user):  # locked meanwhile (wrong passwords elsewhere): the login is over
        auth_logout(request)
        return redirect("login")
    wait = retry_after("login", client_ip(request))
    if wait is not None:
        record(Event.MFA_FAILED, actor=user, request=request, outcome=Outcome.DENIED,
               reason="throttled")
        return _throttled(request, template, context, wait)
    if form.is_valid():
        result = mfa.verify_login(request, user, form.cleaned_data["code"])
        if result.ok:
            clear_failures(user)
            record_login(request, user, f"password+{result.method}",
                         recovery_codes_left=result.recovery_left)
            if result.recovery_left is not None:
                messages.warning(request, _(
                    "You used a recovery code; %(left)d are left. Make new ones on your "
                    "account page if you are running out.") % {"left": result.recovery_left})
            return redirect(target)
        hit("login", client_ip(request))
        record(Event.MFA_FAILED, actor=user, request=request, outcome=Outcome.FAILED,
               method=result.method or "unknown", throttled=result.wait is not None)
        if count_failure(user, request):
            auth_logout(request)
            messages.error(request, _("Too many wrong codes. Log in again later."))
            return redirect("login")
        if result.wait:
            form.add_error("code", _("Too many wrong codes: wait %(seconds)d seconds, then "
                                     "enter the code shown then.") % {"seconds": result.wait})
        else:
            form.add_error("code", _("This code is wrong or was used already. Enter the code "
                                     "your app shows now, or an unused recovery code."))
    return render(request, template, context, status=400)


@never_cache
@sensitive_post_parameters("code", "password")
@login_required
def mfa_setup(request):
    """Enrolment: a QR code and the secret for the authenticator app, confirmed with a code;
    then ten recovery codes, shown once."""
    user = request.user
    target = _next(request, "account:home")
    device = mfa.pending_device(user)
    again = mfa.has_mfa(user)
    form = EnrolForm(request.POST or None, user=user, confirm_password=again)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_enrolment(request, user, form.cleaned_data["code"])
        if codes is not None:
            clear_failures(user)
            return render(request, "accounts/recovery_codes.html",
                          {"codes": codes, "next": target, "enrolled": True})
        form.add_error("code", _("This code is wrong. Check that the app shows the account "
                                 "just added and enter the code it shows now."))
    return render(request, "accounts/mfa_setup.html", {
        "form": form, "next": target, "qr_svg": mfa.qr_svg(device),
        "secret": mfa.secret_of(device), "required": mfa.required_for(user),
        "again": again,
    }, status=400 if form.errors else 200)


@never_cache
@sensitive_post_parameters("password")
@require_POST
@login_required
def recovery_codes(request):
    """Ten new recovery codes (the old ones stop working), shown once; the password is asked
    again, so that a session left open can't take the account's way back in."""
    if not mfa.has_mfa(request.user):
        return redirect("account:home")
    if not ConfirmPasswordForm(request.user, request.POST).is_valid():
        hit("login", client_ip(request))
        messages.error(request, _("The password is wrong: no new recovery codes were made."))
        return redirect("account:home")
    codes = mfa.new_recovery_codes(request.user)
    record(Event.MFA_ENABLED, actor=request.user, request=request, obj=request.user,
           method="recovery_codes_renewed")
    return render(request, "accounts/recovery_codes.html",
                  {"codes": codes, "next": reverse("account:home"), "enrolled": False})


@never_cache
@sensitive_post_parameters("password")
@login_required
def mfa_disable(request):
    user = request.user
    if mfa.required_for(user):
        messages.error(request, _("Your role requires two-factor login: it cannot be turned "
                                  "off."))
        return redirect("account:home")
    form = ConfirmPasswordForm(user, request.POST or None)
    if request.method == "POST":
        wait = retry_after("login", client_ip(request))
        if wait is not None:
            return _throttled(request, "accounts/mfa_disable.html", {"form": form}, wait)
    if request.method == "POST" and form.is_valid():
        mfa.disable(user, actor=user, request=request, reason="by_owner")
        messages.success(request, _("Two-factor login is off."))
        return redirect("account:home")
    if form.errors:
        hit("login", client_ip(request))
    return render(request, "accounts/mfa_disable.html", {"form": form},
                  status=400 if form.errors else 200)


# --- the own password -------------------------------------------------------------------------
@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
def password_change(request):
    user = request.user
    reason = password_change_reason(user)
    form = OwnPasswordChangeForm(user, request.POST or None)
    context = {"form": form, "reason": reason, "next": _next(request, "account:home")}
    template = "accounts/password_change.html"
    if request.method == "POST":
        wait = retry_after("login", client_ip(request))
        if wait is not None:
            return _throttled(request, template, context, wait)
    if request.method == "POST" and form.is_valid():
        change_own_password(request, user, form.cleaned_data["new_password1"],
                            reason=reason or "self_service")
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect(_next(request, "account:home"))
    if "old_password" in form.errors:  # guessing the password of an open session
        hit("login", client_ip(request))
    return render(request, template, context, status=400 if form.errors else 200)


@never_cache
@login_required
def account(request):
    user = request.user
    device = mfa.totp_device(user)
    codes = mfa.recovery_device(user) if device else None
    return render(request, "accounts/account.html", {
        "device": device, "required": mfa.required_for(user),
        "recovery_left": codes.remaining() if codes else 0,
        "password_expires_at": password_expires_at(user),
    })
