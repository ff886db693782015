from django.urls import path

from wangge.places import views

app_name = "places"

urlpatterns = [
    path("", views.building_list, name="buildings"),
    path("buildings/export/", views.building_export, name="buildings-export"),
    path("houses/export/", views.house_export, name="houses-export"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("buildings/<int:pk>/edit/", views.building_edit, name="building-edit"),
    path("houses/", views.house_list, name="houses"),
    path("houses/<int:pk>/", views.house_detail, name="house"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_decide, name="review-decide"),
    # the phone page for grid workers, and the door plate (both logged in, scoped)
    path("b/", views.phone_buildings, name="phone-list"),
    path("b/<str:token>/", views.phone_building, name="phone"),
    path("b/<str:token>/plate/", views.plate, name="plate"),
    # the public page the QR door plate opens: no login, no personal data
    path("qr/<str:token>/", views.public_building, name="qr"),
]
