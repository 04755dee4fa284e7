"""The API's schedule (discovered by forge_suite.scheduling): expired OAuth2 tokens removed
nightly with django-oauth-toolkit's own ``cleartokens``."""

from __future__ import annotations

from typing import Any


def schedule(schedule: Any) -> None:
    schedule.command("cleartokens").daily_at("03:17").without_overlapping(expires=3600).named(
        "api.cleartokens"
    )
