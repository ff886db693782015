from django.contrib import admin

from wangge.workcalendar.models import CalendarDay, WorkPeriod


@admin.register(WorkPeriod)
class WorkPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "start", "end"]
    ordering = ["start"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "kind", "is_workday"]
    list_filter = ["kind", "is_workday"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]
