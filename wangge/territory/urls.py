from django.urls import path

from wangge.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.territory_home, name="home"),
    path("<str:code>/", views.area_detail, name="area"),
    path("<str:code>/map.geojson", views.area_geojson, name="geojson"),
]
