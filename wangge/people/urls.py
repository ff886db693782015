from django.urls import path

from wangge.people import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_new, name="new"),
    path("export/", views.person_export, name="export"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/reveal", views.person_reveal, name="reveal"),
]
