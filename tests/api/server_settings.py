"""Settings of the API server process the API tests start: the test project on the test database."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["FORGE_API_DB_NAME"]
LOGIN_URL = "/admin/login/"  # the authorization endpoint sends users there first
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
