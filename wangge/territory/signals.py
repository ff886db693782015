"""Keep every process's grid index fresh: any saved or deleted area moves the version counter.

This is cache invalidation only; no domain rule lives here. Bulk writes (the importer) bump the
version themselves through ``services.bump_version``.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wangge.territory.models import Area


@receiver(post_save, sender=Area)
@receiver(post_delete, sender=Area)
def area_changed(sender, instance, **kwargs):
    from wangge.territory.services import bump_version

    bump_version()
