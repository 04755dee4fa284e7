"""Smallest project for ``manage.py check`` runs: the core and one app (observability by default).

``FORGE`` comes from the ``FORGE_TEST_FORGE_JSON`` environment variable and the one extra app
from ``FORGE_TEST_EXTRA_APP``, so one module serves every case of
``tests/core/test_proxies_options.py``.
"""

from __future__ import annotations

import json
import os

SECRET_KEY = "forge-suite-tests"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "forge_suite.core",
    os.environ.get("FORGE_TEST_EXTRA_APP", "forge_suite.observability"),
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
FORGE = json.loads(os.environ.get("FORGE_TEST_FORGE_JSON", "{}"))
