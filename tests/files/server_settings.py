"""Settings of the server processes the files tests start (configured by environment)."""

from __future__ import annotations

import json
import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, STORAGES

DATABASES["default"]["NAME"] = os.environ["FORGE_FILES_DB_NAME"]
STORAGES = {**STORAGES, **json.loads(os.environ.get("FORGE_FILES_STORAGES", "{}"))}
FORGE = {"FILES": json.loads(os.environ.get("FORGE_FILES_SETTINGS", "{}"))}
ROOT_URLCONF = os.environ.get("FORGE_FILES_URLCONF", "tests.urls")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
