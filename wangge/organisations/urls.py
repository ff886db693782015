from django.urls import path

from wangge.organisations import views

app_name = "organisations"

urlpatterns = [
    path("", views.organisation_list, name="list"),
    path("new/", views.organisation_new, name="new"),
    path("export/", views.organisation_export, name="export"),
    path("<int:pk>/edit/", views.organisation_edit, name="edit"),
    path("<int:pk>/", views.organisation_detail, name="detail"),
    path("<int:pk>/inspections", views.inspection_add, name="inspect"),
]
