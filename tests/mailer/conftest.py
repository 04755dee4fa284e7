"""Fixtures of the mailer tests: an SMTP sink on loopback and mailers pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from tests.support.smtp_sink import SmtpSink, free_port

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def mail_templates() -> Iterator[None]:
    templates = [dict(settings.TEMPLATES[0], DIRS=[str(TEMPLATES_DIR)])]
    with override_settings(TEMPLATES=templates):
        yield


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def smtp_mailer(port: int) -> dict[str, Any]:
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
    }


@pytest.fixture
def mailers(smtp_sink: SmtpSink) -> Iterator[dict[str, Any]]:
    """``smtp`` (the sink), ``dead`` (a closed port), ``failover`` (dead then smtp)."""
    config = {
        "smtp": smtp_mailer(smtp_sink.port),
        "dead": smtp_mailer(free_port()),
        "failover": {
            "BACKEND": "forge_suite.mailer.backends.FailoverBackend",
            "OPTIONS": {"mailers": ["dead", "smtp"]},
        },
        "roundrobin": {
            "BACKEND": "forge_suite.mailer.backends.RoundRobinBackend",
            "OPTIONS": {"mailers": ["smtp", "dead"]},
        },
    }
    forge = {
        **settings.FORGE,
        "MAILER": {"MAILERS": config, "DEFAULT_MAILER": "smtp", "BASE_URL": "https://shop.test"},
    }
    with override_settings(FORGE=forge):
        yield config
