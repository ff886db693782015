from django.urls import path

from wangge.accounts import views

app_name = "account"

urlpatterns = [
    path("", views.account, name="home"),
    path("password/", views.password_change, name="password"),
    path("verify/", views.verify, name="verify"),
    path("mfa/", views.mfa_setup, name="mfa-setup"),
    path("mfa/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("mfa/disable/", views.mfa_disable, name="mfa-disable"),
]
