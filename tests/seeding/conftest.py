"""Fixtures of the seeding tests: the demo apps are the realistic graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from forge_suite.seeding.session import SeedSession, seeded


@pytest.fixture
def session() -> Iterator[SeedSession]:
    with seeded(1234) as current:
        yield current


@pytest.fixture
def testing_env() -> Iterator[None]:
    """Run as the 'testing' environment (the test settings have DEBUG=False -> production)."""
    with override_settings(FORGE={"ENVIRONMENT": "testing"}):
        yield
