from django.urls import path

from wangge.profiles import views

app_name = "profiles"

urlpatterns = [
    path("", views.home, name="home"),
    path("<str:code>/", views.area_profile, name="area"),
    path("<str:code>/map.json", views.area_map, name="map"),
]
