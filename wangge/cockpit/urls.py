from django.urls import path

from wangge.cockpit import views

app_name = "cockpit"
urlpatterns = [
    path("", views.home, name="home"),
    path("<str:code>/", views.area_page, name="area"),
    path("<str:code>/data.json", views.area_data, name="data"),
    path("<str:code>/areas.geojson", views.area_geo, name="geo"),
]
