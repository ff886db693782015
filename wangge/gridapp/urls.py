from django.urls import path

from wangge.gridapp import views

app_name = "gridapp"
urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("tasks/", views.tasks, name="tasks"),
    path("verify/<str:number>/", views.verify, name="verify"),
    path("handle/<str:number>/", views.handle, name="handle"),
    path("patrol/", views.patrol, name="patrol"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("api/session", views.session_api, name="session"),
    path("api/patrols", views.patrols_api, name="patrols"),
    path("api/patrols/<int:patrol_id>", views.patrol_api, name="patrol-detail"),
    path("api/patrols/<int:patrol_id>/points", views.patrol_points_api, name="patrol-points"),
    path("api/patrols/<int:patrol_id>/stop", views.patrol_stop_api, name="patrol-stop"),
]
