from django.urls import path

from wangge.things import views

app_name = "things"

urlpatterns = [
    path("", views.component_list, name="list"),
    path("new/", views.component_new, name="new"),
    path("export/", views.component_export, name="export"),
    path("<str:code>/edit/", views.component_edit, name="edit"),
    path("<str:code>/", views.component_detail, name="detail"),
]
