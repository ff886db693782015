import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
application = get_wsgi_application()

# no serving with keys that do not fit the database's personal data (wangge/core/keys.py)
from wangge.core.keys import check_at_start  # noqa: E402

check_at_start()
