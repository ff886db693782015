from django.urls import path

from wangge.integrations import views

app_name = "integrations"

urlpatterns = [
    path("alarms/", views.alarms, name="alarms"),
]
