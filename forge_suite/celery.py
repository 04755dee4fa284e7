"""Entry point for ``celery -A forge_suite.celery worker``: the suite's app lives in core.

``DJANGO_SETTINGS_MODULE=mysite.settings celery -A forge_suite.celery worker`` finds :data:`app`
here; code imports it from :mod:`forge_suite.core.celery` (or from here, which stays supported).
"""

from __future__ import annotations

from forge_suite.core.celery import app

__all__ = ["app"]
