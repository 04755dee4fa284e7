"""Settings for the test suite.

``FORGE_TEST_DB=postgres`` runs the suite on PostgreSQL (``FORGE_TEST_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/forge``); anything else runs on SQLite.
``FORGE_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``) is the Redis that
``@pytest.mark.redis`` tests use; tests own their keys under a per-test prefix.
"""

from __future__ import annotations

import os
import tempfile
from importlib.util import find_spec
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "forge-suite-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
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
    "example_project.site",
    "example_project.accounts",
    "example_project.blog",
    "example_project.chat",
    "example_project.shop",
    "django_celery_beat",
    "example_project.housekeeping",
    # forge_suite.api before oauth2_provider: its consent page template wins
    "forge_suite.api",
    "oauth2_provider",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "example_project.maildemo",
    "example_project.orders",  # eventstore demo
    "example_project.gallery",
]

# Apps whose dependency is not installed stay out, and the suite says so in its header
# (tests/conftest.py): scheduling needs django-celery-beat, which does not allow Django 6.1 yet.
#: App -> why it was left out of this run.
LEFT_OUT_APPS: dict[str, str] = {}
if find_spec("django_celery_beat") is None:
    for _app in ("forge_suite.scheduling", "django_celery_beat", "example_project.housekeeping"):
        LEFT_OUT_APPS[_app] = "django-celery-beat is not installed"
if os.environ.get("FORGE_TEST_APPS") == "core":
    # tox's noextras env: the core alone, with only its required dependencies.
    for _app in INSTALLED_APPS:
        if _app.startswith(("forge_suite.", "example_project.")) and _app != "forge_suite.core":
            LEFT_OUT_APPS[_app] = "FORGE_TEST_APPS=core (no optional dependency installed)"
    LEFT_OUT_APPS.update(
        dict.fromkeys(
            [
                "django_celery_beat",
                "oauth2_provider",
                "rest_framework",
                "drf_spectacular",
                "drf_spectacular_sidecar",
            ],
            "no extras",
        )
    )
INSTALLED_APPS = [a for a in INSTALLED_APPS if a not in LEFT_OUT_APPS]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

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
            ]
        },
    }
]

DB_VENDOR = os.environ.get("FORGE_TEST_DB", "sqlite").lower()
if DB_VENDOR in {"postgres", "postgresql"}:
    import dj_database_url

    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("FORGE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/forge")
        )
    }
    # Concurrent runs on one server (several checkouts, tox envs) need distinct test databases.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("FORGE_TEST_DB_NAME", "test_forge"),
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("FORGE_TEST_SQLITE_NAME") or ":memory:",
            # A file, not memory, so worker processes started by tests can share it.
            "TEST": {
                "NAME": os.environ.get("FORGE_TEST_SQLITE_NAME")
                or os.path.join(tempfile.gettempdir(), f"forge-test-{os.getpid()}.sqlite3")
            },
        }
    }

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# One media folder per test run, not per process: the pytest process names it and every process
# it starts (servers, workers) inherits it through the environment. Nothing is created here;
# storages create it on first write and tests/conftest.py removes it when the run ends.
MEDIA_ROOT = os.environ.setdefault(
    "FORGE_TEST_MEDIA_ROOT",
    os.path.join(tempfile.gettempdir(), f"forge-tests-media-{os.getpid()}"),
)
STATIC_URL = "/static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if django.VERSION >= (6, 1):
    # Django 6.1 configures mail through MAILERS and deprecates EMAIL_BACKEND.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

CELERY_BROKER_URL = None
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

TEST_REDIS_URL = os.environ.get("FORGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_AMQP_URL = os.environ.get("FORGE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")

FORGE: dict[str, object] = {}

if "forge_suite.api" in INSTALLED_APPS:
    from forge_suite.api import oauth2_provider_settings

    OAUTH2_PROVIDER = oauth2_provider_settings(debug=True)
    REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("FORGE_TEST_APPS") == "core":
    # The suite's URLs import every app's views; the core-only run has none of them.
    ROOT_URLCONF = "tests.core.urls"
