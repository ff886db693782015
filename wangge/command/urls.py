from django.urls import path

from wangge.command import views

app_name = "command"
urlpatterns = [
    path("", views.center, name="center"),
    path("queue/", views.queue, name="queue"),
    path("boards/", views.boards, name="boards"),
    path("map.json", views.map_data, name="map"),
    path("quick/<str:number>/<str:action>/", views.quick, name="quick"),
]
