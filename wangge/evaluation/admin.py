from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wangge.evaluation.models import (
    Adjustment,
    Appeal,
    AreaProfile,
    Evaluation,
    LogEntry,
    Result,
    Scheme,
)


class SchemeForm(forms.ModelForm):
    class Meta:
        model = Scheme
        fields = ["name", "target_kind", "area", "weights", "min_volume", "default_min_volume",
                  "targets", "grades", "is_active"]
        help_texts = {"weights": _("Indicator code → weight, adding up to 100. The codes are "
                                   "listed on the evaluation help page.")}


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    form = SchemeForm
    list_display = ("name", "target_kind", "area", "is_active")
    list_filter = ("target_kind", "is_active")
    raw_id_fields = ("area",)


@admin.register(AreaProfile)
class AreaProfileAdmin(admin.ModelAdmin):
    list_display = ("area", "population")
    jurisdiction_path = "area__prefix"  # wangge/core/admin_site.py
    raw_id_fields = ("area",)
    search_fields = ("area__name", "area__code")


class ResultInline(admin.TabularInline):
    model = Result
    fields = ("label", "group", "base_score", "adjustment", "score", "grade")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    """Read-only: evaluations are computed and published through the services."""

    list_display = ("scheme", "period_kind", "start", "end", "state", "computed_at")
    list_filter = ("state", "period_kind")
    readonly_fields = [f.name for f in Evaluation._meta.fields]
    jurisdiction_path = "scheme__area__prefix"  # the area its scheme belongs to

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("result", "filed_by", "filed_at", "state", "decided_by")
    list_filter = ("state",)
    readonly_fields = [f.name for f in Appeal._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    list_display = ("result", "points", "reason", "created_by", "created_at")
    readonly_fields = [f.name for f in Adjustment._meta.fields]
    jurisdiction_path = "result__area__prefix"  # the area of the result it changes

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ("action", "actor", "at", "evaluation")
    readonly_fields = [f.name for f in LogEntry._meta.fields]
    # the evaluation's (its scheme's area), or the result's it was about (an appeal)
    jurisdiction_path = ("evaluation__scheme__area__prefix", "result__area__prefix")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
