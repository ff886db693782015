from django.conf import settings
from django.utils.translation import gettext as _


def site(request):
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from wangge.notifications.models import Notification

        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {
        "unread_count": unread,
        "site_name": settings.WANGGE["SITE_NAME"] or _("Wangge grid governance platform"),
        "map_tile_url": settings.WANGGE["MAP_TILE_URL"],
        "map_tile_attribution": settings.WANGGE["MAP_TILE_ATTRIBUTION"],
    }
