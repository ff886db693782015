"""Drop the cached database work calendar whenever one of its rows changes.

Cache invalidation only. Queryset ``update()``/``bulk_create()`` send no signals; code that uses
them calls ``wangge.workcalendar.calendar.clear_cache()`` itself (as the loader does).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wangge.workcalendar.calendar import invalidate
from wangge.workcalendar.models import CalendarDay, WorkPeriod


@receiver(post_save, sender=WorkPeriod)
@receiver(post_delete, sender=WorkPeriod)
@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
def calendar_changed(sender, instance, using="default", **kwargs):
    invalidate(using)
