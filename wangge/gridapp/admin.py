from django.contrib import admin

from wangge.gridapp.models import Patrol


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    list_display = ["user", "started_at", "ended_at", "distance_m", "duration_s", "point_count"]
    list_filter = ["started_at"]
    search_fields = ["user__username", "user__display_name"]
    readonly_fields = ["user", "area", "started_at", "ended_at", "distance_m", "duration_s",
                       "point_count", "points"]
    date_hierarchy = "started_at"
