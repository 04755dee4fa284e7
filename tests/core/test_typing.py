"""Every app's public API type-checks under ``mypy --strict`` (issue 10: a typed public surface).

One mypy run over each ``forge_suite/<app>/__init__.py`` and ``testing.py``, following their
imports, so an untyped or ``Any``-leaking module behind the public names fails here.
"""

from __future__ import annotations

import pytest

from tests.support.typecheck import PACKAGE, public_api_modules, run_mypy_strict

# Type-checks every app: left out where an app's extra is not installed.
pytestmark = pytest.mark.needs_apps(
    "forge_suite.seeding",
    "forge_suite.files",
    "forge_suite.mailer",
    "forge_suite.realtime",
    "forge_suite.throttling",
    "forge_suite.eventstore",
    "forge_suite.scheduling",
    "forge_suite.observability",
)


def test_public_api_modules_cover_every_app() -> None:
    apps = {path.parent.name for path in public_api_modules()}
    assert {"core", "seeding", "files", "mailer", "realtime", "throttling"} <= apps
    assert {"eventstore", "scheduling", "observability"} <= apps
    assert PACKAGE / "scheduling" / "testing.py" in public_api_modules()


@pytest.mark.slow
def test_public_api_passes_mypy_strict() -> None:
    status, output = run_mypy_strict(public_api_modules())
    assert status == 0, f"mypy --strict failed on the public API:\n{output}"
