"""Settings of files: ``FORGE["FILES"]``."""

from __future__ import annotations

from forge_suite.core.conf import AppSettings, Option

DEFAULTS: dict[str, Option] = {}

app_settings = AppSettings("FILES", DEFAULTS)
