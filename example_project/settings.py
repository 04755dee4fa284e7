"""Settings of the example project.

With no environment variables it runs on SQLite, the locmem cache, the in-memory channel
layer, eager Celery and local disk. Set these to run on real services:

- ``DATABASE_URL``       e.g. ``postgres://postgres@127.0.0.1:5432/forge``
- ``REDIS_URL``          e.g. ``redis://127.0.0.1:6379/0`` (cache, throttling, presence, locks)
- ``CELERY_BROKER_URL``  e.g. ``redis://127.0.0.1:6379/1`` or ``amqp://guest:guest@127.0.0.1//``
- ``DJANGO_DEBUG``       ``0`` to turn DEBUG off; ``DJANGO_SECRET_KEY``; ``DJANGO_ALLOWED_HOSTS``
- ``FORGE_ENVIRONMENT``  environment name for seeders (default from DEBUG)
- ``METRICS_TOKEN``      bearer token for ``/metrics`` (without it only loopback under DEBUG)
- ``SENTRY_DSN``         report errors to Sentry (secrets and personal data scrubbed)
- ``OIDC_RSA_PRIVATE_KEY`` PEM key signing OpenID Connect ID tokens (under DEBUG the demo
  makes its own in ``FORGE_DATA_DIR``; without DEBUG and without it, OIDC is off)
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("FORGE_DATA_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "example-project-insecure-key-change-me-in-production"
)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    # First, so that runserver serves the ASGI application (HTTP and WebSockets).
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "forge_suite.core",
    "forge_suite.seeding",
    "forge_suite.files",
    "forge_suite.mailer",
    "forge_suite.realtime",
    "forge_suite.throttling",
    "forge_suite.eventstore",
    "forge_suite.scheduling",
    "forge_suite.observability",
    # the API: OAuth2 provider, DRF, the OpenAPI document and its docs page
    # (forge_suite.api before oauth2_provider: its consent page template wins)
    "forge_suite.api",
    "oauth2_provider",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "example_project.site",
    "example_project.accounts",
    "example_project.blog",
    "example_project.chat",
    "example_project.shop",
    "django_celery_beat",
    "example_project.housekeeping",
    "example_project.livechat",
    "example_project.maildemo",
    "example_project.orders",  # eventstore demo
    "example_project.gallery",
]
# The API (forge_suite.api): django-oauth-toolkit with the suite's scopes and safe defaults.
from forge_suite.api import oauth2_provider_settings, oidc_key  # noqa: E402

OAUTH2_PROVIDER = oauth2_provider_settings(
    debug=DEBUG,
    oidc_rsa_private_key=(
        os.environ.get("OIDC_RSA_PRIVATE_KEY") or oidc_key(DATA_DIR / "oidc.pem", create=DEBUG)
    ),
)
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
# Scheduling needs django-celery-beat, which does not allow Django 6.1 yet: without it the
# demo runs without the scheduling app and its housekeeping jobs (docs/installation.md).
if __import__("importlib.util").util.find_spec("django_celery_beat") is None:
    _NEEDS_BEAT = ("forge_suite.scheduling", "django_celery_beat", "example_project.housekeeping")
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in _NEEDS_BEAT]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or None
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TIMEZONE = "UTC"
# Redis hands an unacknowledged job to another worker after this many seconds: longer than the
# longest job time limit (files' cleanup_uploads: 1,980 s) and retry delay (RETRY_BACKOFF_MAX:
# 600 s), so a job killed with its worker comes back within 40 minutes instead of an hour.
# AMQP brokers ignore it. `manage.py worker` warns when a job's limit exceeds it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2400}

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media", "base_url": "/media/"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = "Forge Suite Example <noreply@example.com>"

FORGE: dict[str, object] = {
    "REDIS_URL": REDIS_URL,
    "ENVIRONMENT": os.environ.get("FORGE_ENVIRONMENT") or None,
    "REALTIME": {
        "APPS": [
            {
                "id": os.environ.get("REALTIME_APP_ID", "1000"),
                "key": os.environ.get("REALTIME_APP_KEY", "forge-key"),
                "secret": os.environ.get("REALTIME_APP_SECRET", "forge-secret"),
            }
        ],
        "CHANNEL_MODULES": ["example_project.livechat.channels"],
    },
}

# Mailer demo (example_project/maildemo): the bell's private channel, public link base URL.
FORGE["REALTIME"]["CHANNEL_MODULES"].append("example_project.maildemo.channels")  # type: ignore[index]
FORGE["MAILER"] = {"BASE_URL": os.environ.get("SITE_URL", "http://localhost:8000")}

# Throttling demo (example_project/api_demo): GCRA on /api-demo/, a token bucket for check().
FORGE["THROTTLING"] = {
    "POLICIES": {
        "demo-api": {"rate": "5/m", "algorithm": "gcra", "key": "ip", "paths": ["/api-demo/"]},
        "demo-jobs": {"rate": "3/10s", "algorithm": "token_bucket", "burst": 3, "key": "ip"},
    },
}
MIDDLEWARE += ["forge_suite.throttling.middleware.ThrottleMiddleware"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/admin/login/"

# Observability: JSON logs with request ids (console output in DEBUG), request ids and
# django-prometheus metrics on every request, database and cache.
from forge_suite.observability.logs import logging_config  # noqa: E402
from forge_suite.observability.prometheus import (  # noqa: E402
    instrument_caches,
    instrument_databases,
    with_middleware,
)

LOGGING = logging_config(debug=DEBUG, level=os.environ.get("DJANGO_LOG_LEVEL", "INFO"))
MIDDLEWARE = with_middleware(MIDDLEWARE)
DATABASES = instrument_databases(DATABASES)
CACHES = instrument_caches(CACHES)
# eventstore demo: `manage.py eventstore_worker` keeps the order summary live; the paid-order
# observer calls the "shop" webhook endpoint (create it in the admin).
FORGE["EVENTSTORE"] = {"PROJECTIONS": ["example_project.orders.projections.OrderSummaryProjector"]}
FORGE["OBSERVABILITY"] = {"METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None}

# Files: uploads on the default disk (MEDIA_ROOT), a thumbnail variant for the gallery demo.
FORGE["FILES"] = {
    "VARIANTS": {"thumb": {"fit": [200, 200], "format": "webp", "quality": 80}},
}
if os.environ.get("SENTRY_DSN"):
    from forge_suite.observability import sentry

    sentry.init(
        os.environ["SENTRY_DSN"],
        environment=os.environ.get("FORGE_ENVIRONMENT")
        or ("development" if DEBUG else "production"),
        release=os.environ.get("SENTRY_RELEASE") or None,
    )

DATA_DIR.mkdir(parents=True, exist_ok=True)
