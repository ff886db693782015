"""Django settings for Wangge. Every deployment knob comes from an environment variable.

See README.md, "Configuration", for the list.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from wangge.env import (
    env_bool,
    env_database,
    env_float,
    env_int,
    env_list,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WANGGE_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
PRODUCTION = env_bool("WANGGE_PRODUCTION", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment; in production it is required. Elsewhere a random key
    is made once and kept in var/secret-key, so no installation shares a known key."""
    from django.core.exceptions import ImproperlyConfigured

    key = env_str("SECRET_KEY", required=PRODUCTION)
    if key:
        if len(key) < 40:
            raise ImproperlyConfigured("SECRET_KEY must be a random string of 40+ characters")
        return key
    path = VAR_DIR / "secret-key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()


def _kept_secret(name: str, make) -> str:
    """A secret from the environment (required in production), else one made once and kept
    in var/ (mode 600)."""
    value = env_str(name, required=PRODUCTION)
    if value:
        return value
    path = VAR_DIR / name.lower().replace("_", "-")
    if not path.exists():
        path.write_text(make(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _new_data_key() -> str:
    import base64
    import secrets

    return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _new_lookup_key() -> str:
    import secrets

    return secrets.token_urlsafe(48)


# personal data at rest (wangge/core/crypto.py): "id:base64key,…", the first one current
WANGGE_DATA_KEYS = _kept_secret("DATA_KEYS", _new_data_key)
WANGGE_LOOKUP_KEY = _kept_secret("LOOKUP_KEY", _new_lookup_key)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"],
                         allow_empty=False)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "wangge.core.admin_config.WanggeAdminConfig",  # django.contrib.admin, Wangge's site
    # before django.contrib.auth: its `changepassword` command is wangge.accounts' own (a
    # password an operator sets must be changed at the next login)
    "wangge.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs' assets locally (no CDN)
    "django_otp",  # two-factor login (TOTP), wangge/accounts/mfa.py
    "django_otp.plugins.otp_totp",
    "wangge.core",
    "wangge.audit",
    "wangge.territory",
    "wangge.workcalendar",
    "wangge.dispatch",
    "wangge.cases",
    "wangge.notifications",
    "wangge.jobs",
    "wangge.integrations",
    "wangge.command",
    "wangge.gridapp",
    "wangge.portal",
    "wangge.cockpit",
    "wangge.open311",
    "wangge.people",
    "wangge.places",
    "wangge.analytics",
    "wangge.things",
    "wangge.organisations",
    "wangge.profiles",
    "wangge.evaluation",
    "wangge.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wangge.core.sessions.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "wangge.accounts.middleware.LoginGateMiddleware",  # two-factor, forced password change
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "wangge" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wangge.web.context.site",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL_DEFAULT = f"sqlite:///{VAR_DIR / 'wangge.sqlite3'}"
DATABASES = {"default": env_database("DATABASE_URL", DATABASE_URL_DEFAULT)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; NORMAL is durable at checkpoints and safe
    # with WAL; IMMEDIATE transactions take the write lock up front so two writers queue on the
    # busy timeout instead of failing with "database is locked" half-way through.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20, minimum=1),
    }
    # a file (not memory) so that live-server tests and threads share it; one per process so
    # that concurrent test runs do not collide
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["wangge.accounts.backends.LockoutBackend"]
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCK_MINUTES = env_int("LOGIN_LOCK_MINUTES", 15, minimum=1)
# failed logins per client address (any usernames): the "login" rate limit of
# wangge/core/ratelimit.py, 20 in 10 minutes unless WANGGE["PORTAL_RATE_LIMITS"] says otherwise
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# 等保三级 password rules (wangge/accounts/validators.py): at least 10 characters of three of
# the four classes, not containing the username, none of the last 5 passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "wangge.accounts.validators.CharacterClassesValidator",
     "OPTIONS": {"min_classes": 3}},
    {"NAME": "wangge.accounts.validators.NotUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "wangge.accounts.validators.PasswordHistoryValidator",
     "OPTIONS": {"keep": 5}},
]
# a password older than this must be changed at the next login (0: never expires)
PASSWORD_MAX_AGE_DAYS = env_int("PASSWORD_MAX_AGE_DAYS", 90, minimum=0)
# two-factor login (TOTP) required for superusers, 系统管理员, 安全管理员, 审计员, leaders and
# whoever may reveal full ID numbers; optional for everyone else
MFA_REQUIRED = env_bool("MFA_REQUIRED", True)
OTP_TOTP_ISSUER = env_str("MFA_ISSUER", "Wangge")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Sessions end after SESSION_IDLE_SECONDS without a real request, and SESSION_ABSOLUTE_SECONDS
# after the login whatever happens (wangge/core/sessions.py). Background polling (sent
# with X-Wangge-Background: 1) is not activity, so the session is saved on real requests only.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = False
# API bearer tokens expire after this many days unless issued with another lifetime
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- security audit (wangge/audit) -----------------------------------------------------------
# 等保三级 keeps audit records at least 180 days; a smaller value is refused at start-up.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365, minimum=180)
AUDIT_ARCHIVE_DIR = Path(env_str("AUDIT_ARCHIVE_DIR", str(VAR_DIR / "audit-archive")))

# --- language and time ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "wangge" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "wangge" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# --- the platform --------------------------------------------------------------------------
WANGGE = {
    # Map background. Empty: no tiles are requested and only the grids are drawn (intranet).
    "MAP_TILE_URL": env_url("MAP_TILE_URL", ""),
    "MAP_TILE_ATTRIBUTION": env_str("MAP_TILE_ATTRIBUTION", ""),
    # Two sibling grids may overlap by at most this much (square metres) before import refuses.
    # ... or when the overlap is a sliver thinner than this on average (digitising noise).
    "OVERLAP_TOLERANCE_M2": env_float("TERRITORY_OVERLAP_TOLERANCE_M2", 10.0, minimum=0.0),
    "OVERLAP_TOLERANCE_WIDTH_M": env_float("TERRITORY_OVERLAP_TOLERANCE_WIDTH_M", 0.5,
                                           minimum=0.0),
    # How often (seconds) a process checks whether another process changed the grids.
    "LOCATE_VERSION_CHECK_SECONDS": env_float("LOCATE_VERSION_CHECK_SECONDS", 2.0, minimum=0.0),
    "SITE_NAME": env_str("SITE_NAME", ""),
    # traffic light: a step turns yellow past this share of its time limit
    "DEADLINE_WARN_SHARE": env_float("DEADLINE_WARN_SHARE", 0.7, minimum=0.05),
    "MAX_UPLOAD_BYTES": env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1024),
    # photos are re-encoded (wangge/cases/uploads.py); EXIF (GPS, camera serial) dropped unless
    # this is off; larger images than UPLOAD_MAX_PIXELS are refused (decompression bombs)
    "UPLOAD_STRIP_METADATA": env_bool("UPLOAD_STRIP_METADATA", True),
    "UPLOAD_MAX_PIXELS": env_int("UPLOAD_MAX_PIXELS", 40_000_000, minimum=1_000_000),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING").upper()},
}

# --- production mode and security headers (wangge/core/production.py, wangge/core/security.py)
# Every response carries a Content-Security-Policy (no inline scripts anywhere: page scripts
# are static files); personal-data pages and the API are sent with Cache-Control: no-store.
MIDDLEWARE.insert(0, "wangge.core.security.SecurityHeadersMiddleware")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _content_security_policy() -> str:
    from wangge.core.production import tile_sources

    tiles = " ".join(tile_sources(WANGGE["MAP_TILE_URL"]))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # style="" attributes and Leaflet's inline styles
        f"img-src 'self' data: blob: {tiles}".strip(),
        "connect-src 'self'",
        "media-src 'self' blob:",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


CONTENT_SECURITY_POLICY = _content_security_policy()
# a query-string value longer than this is refused with a 400 (nothing legitimate is longer)
MAX_QUERY_VALUE_CHARS = env_int("MAX_QUERY_VALUE_CHARS", 2000, minimum=100)
ALLOW_SQLITE_IN_PRODUCTION = env_bool("ALLOW_SQLITE_IN_PRODUCTION", False)


def _proxy_ssl_header():
    from wangge.core.production import proxy_ssl_header

    return proxy_ssl_header(env_str("SECURE_PROXY_SSL_HEADER", ""))


# behind a TLS-terminating proxy: the header it sets on HTTPS requests (X-Forwarded-Proto)
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()
if PRODUCTION:
    # WANGGE_PRODUCTION=1: refuse DEBUG, ALLOWED_HOSTS=*, SQLite, insecure cookies and weak
    # keys (SECRET_KEY, DATA_KEYS and LOOKUP_KEY are required from the environment above, and
    # no secret file is written in var/)
    from wangge.core.production import refuse_insecure

    refuse_insecure(globals())
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # off (SECURE_SSL_REDIRECT=0) only behind a proxy that redirects to HTTPS itself
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
