from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from wangge.integrations import webhooks
from wangge.integrations.models import (
    Alarm,
    AlarmSlot,
    AlarmTypeMapping,
    Delivery,
    DeliveryAttempt,
    Device,
    Platform,
    Subscription,
    WebhookEvent,
)


class KeyForm(forms.ModelForm):
    """Adds a “new key” choice; the key made is shown once in a message, never stored."""

    new_key = forms.BooleanField(label=_("Issue a new key"), required=False,
                                 help_text=_("The key is shown once, after saving."))


class KeyAdminMixin:
    form = KeyForm

    def save_model(self, request, obj, form, change):
        key = None
        if form.cleaned_data.get("new_key") or (not change and not obj.key_digest
                                                 and isinstance(obj, Platform)):
            key = obj.set_key()
        super().save_model(request, obj, form, change)
        if key:
            messages.warning(request, gettext("The new key of %(name)s (shown only now): "
                                              "%(key)s") % {"name": obj, "key": key})


@admin.register(Platform)
class PlatformAdmin(KeyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "active", "last_seen_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(Device)
class DeviceAdmin(KeyAdminMixin, admin.ModelAdmin):
    list_display = ["device_id", "name", "kind", "grid", "platform", "active"]
    # rows in the jurisdiction (wangge/core/admin_site.py); one without a grid: superusers'
    jurisdiction_path = "grid__prefix"
    list_filter = ["kind", "active", "platform"]
    search_fields = ["device_id", "name", "building"]
    raw_id_fields = ["grid"]


@admin.register(AlarmTypeMapping)
class AlarmTypeMappingAdmin(admin.ModelAdmin):
    list_display = ["alarm_type", "label", "category", "urgency", "auto_close_on_clear",
                    "dedupe_minutes", "active"]
    list_filter = ["active", "auto_close_on_clear"]
    search_fields = ["alarm_type", "label"]


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ["id", "device", "alarm_type", "state", "level", "occurred_at", "outcome",
                    "case", "channel", "received_at"]
    list_filter = ["outcome", "state", "channel", "alarm_type"]
    search_fields = ["device__device_id", "case__number"]
    list_select_related = ["device", "case"]
    readonly_fields = [f.name for f in Alarm._meta.fields]
    jurisdiction_path = "device__grid__prefix"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # an alarm received is a record: kept, never deleted


@admin.register(AlarmSlot)
class AlarmSlotAdmin(admin.ModelAdmin):
    list_display = ["device", "alarm_type", "case", "opened_at", "last_alarm_at", "repeats"]
    jurisdiction_path = "device__grid__prefix"
    search_fields = ["device__device_id", "case__number"]
    readonly_fields = [f.name for f in AlarmSlot._meta.fields]

    def has_add_permission(self, request):
        return False


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label=_("events"), choices=WebhookEvent.choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Subscription
        fields = ["name", "url", "secret", "events", "active", "pause_after"]


class PausedFilter(admin.SimpleListFilter):
    title = _("paused")
    parameter_name = "paused"

    def lookups(self, request, model_admin):
        return [("yes", _("Paused")), ("no", _("Running"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(paused_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(paused_at__isnull=True)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "url", "active", "paused_at", "consecutive_failures", "created_at"]
    list_filter = [PausedFilter, "active"]
    search_fields = ["name", "url"]
    actions = ["resume"]

    @admin.action(description=_("Resume the selected subscriptions"))
    def resume(self, request, queryset):
        queued = sum(webhooks.resume(sub) for sub in queryset)
        self.message_user(request, gettext("Resumed %(n)d subscriptions; %(q)d deliveries "
                                           "queued.") % {"n": queryset.count(), "q": queued})


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status_code", "error", "duration_ms"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "subscription", "event_type", "case", "status", "attempts",
                    "last_status_code", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event_type", "subscription"]
    search_fields = ["case__number", "uuid"]
    list_select_related = ["subscription", "case"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Send the selected deliveries again"))
    def retry(self, request, queryset):
        count = webhooks.retry(queryset)
        self.message_user(request, gettext("%(n)d deliveries queued.") % {"n": count})
