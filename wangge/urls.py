from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from wangge.accounts import views as account_views
from wangge.api import api
from wangge.notifications import views as notification_views
from wangge.web import views as web_views

admin.site.site_header = "Wangge 网格"
admin.site.site_title = "Wangge"

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("account/", include("wangge.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("territory/", include("wangge.territory.urls")),
    path("cases/", include("wangge.cases.urls")),
    path("command/", include("wangge.command.urls")),
    path("m/", include("wangge.gridapp.urls")),
    path("public/", include("wangge.portal.urls")),
    path("cockpit/", include("wangge.cockpit.urls")),
    path("open311/v2/", include("wangge.open311.urls")),
    path("integrations/", include("wangge.integrations.urls")),
    path("people/", include("wangge.people.urls")),
    path("places/", include("wangge.places.urls")),
    path("analytics/", include("wangge.analytics.urls")),
    path("things/", include("wangge.things.urls")),
    path("organisations/", include("wangge.organisations.urls")),
    path("profiles/", include("wangge.profiles.urls")),
    path("evaluation/", include("wangge.evaluation.urls")),
    path("inbox/", notification_views.inbox, name="inbox"),
    path("inbox/read", notification_views.read_all, name="inbox-read"),
    # the admin logs in, out and changes passwords through the site's own (audited) pages
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/logout/", account_views.LogoutView.as_view()),
    path("admin/password_change/", RedirectView.as_view(pattern_name="account:password")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
