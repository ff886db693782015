from django.urls import path

from wangge.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.scheme_list, name="schemes"),
    path("help/", views.help_page, name="help"),
    path("schemes/<int:scheme_id>/compute/", views.compute_view, name="compute"),
    path("<int:evaluation_id>/", views.results, name="results"),
    path("<int:evaluation_id>/publish/", views.publish_view, name="publish"),
    path("<int:evaluation_id>/ranking/", views.ranking_view, name="ranking"),
    path("results/<int:result_id>/appeal/", views.appeal_new, name="appeal"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="decide"),
]
