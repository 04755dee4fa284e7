"""Settings of event store: ``FORGE["EVENTSTORE"]``."""

from __future__ import annotations

from forge_suite.core.conf import AppSettings, Option

DEFAULTS: dict[str, Option] = {}

app_settings = AppSettings("EVENTSTORE", DEFAULTS)
