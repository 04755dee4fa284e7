"""Settings of realtime: ``FORGE["REALTIME"]``."""

from __future__ import annotations

from forge_suite.core.conf import AppSettings, Option

DEFAULTS: dict[str, Option] = {}

app_settings = AppSettings("REALTIME", DEFAULTS)
