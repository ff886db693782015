from django.urls import path

from wangge.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    # building QR door plates link here: ?lon=…&lat=…[&crs=wgs84|gcj02|bd09]&address=…
    # or ?grid=<unit-grid code>&address=… (see the portal's README)
    path("report/", views.report, name="report"),
    path("report/done/<str:token>/", views.done, name="done"),
    path("track/", views.lookup, name="lookup"),
    path("track/<str:token>/", views.track, name="track"),
    path("track/<str:token>/rate/", views.rate, name="rate"),
    path("track/<str:token>/photos/<int:pk>/", views.photo, name="photo"),
    path("locate/", views.locate, name="locate"),
    path("grids.geojson", views.grids, name="grids"),
]
