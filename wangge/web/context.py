from django.conf import settings
from django.utils.translation import gettext as _


def site(request):
    return {
        "site_name": settings.WANGGE["SITE_NAME"] or _("Wangge grid governance platform"),
        "map_tile_url": settings.WANGGE["MAP_TILE_URL"],
        "map_tile_attribution": settings.WANGGE["MAP_TILE_ATTRIBUTION"],
    }
