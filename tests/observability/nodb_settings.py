"""Test settings whose database points at a closed port: the database is unreachable."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": os.environ["FORGE_OBS_DEAD_DB_PORT"],
        "NAME": "forge_unreachable",
        "USER": "postgres",
        "OPTIONS": {"connect_timeout": 2},
    }
}
FORGE = {"OBSERVABILITY": {"HEALTH_TIMEOUT": 1.5}}
ROOT_URLCONF = "tests.observability.urls"
MIDDLEWARE = [
    "forge_suite.observability.middleware.RequestIdMiddleware",
    *MIDDLEWARE,  # noqa: F405
]
