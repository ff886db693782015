from django.urls import path

from wangge.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.stats, name="stats"),
    path("export.xlsx", views.export, name="export"),
    path("report.pdf", views.report_pdf, name="report"),
    path("warnings/", views.warnings_page, name="warnings"),
    path("warnings.json", views.warnings_json, name="warnings_json"),
    path("warnings/board/", views.warnings_board, name="board"),
    path("hotspots/", views.hotspots, name="hotspots"),
    path("hotspots.json", views.hotspots_data, name="hotspots_data"),
]
