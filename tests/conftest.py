"""Suite-wide pytest configuration: service markers and shared fixtures."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings
from django.db import connection

from tests.services import PROBLEMS, require


def pytest_report_header(config: pytest.Config) -> list[str]:
    from tests.services import services_required

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [
        f"forge: database={vendor} redis={settings.TEST_REDIS_URL} "
        f"services_required={services_required()}",
        # seams: the Django actually under test, and the apps this run leaves out.
        f"forge: Django {django.get_version()}",
        *(f"forge: LEFT OUT {app}: {why}" for app, why in settings.LEFT_OUT_APPS.items()),
    ]


# seams: the tests of an app left out of INSTALLED_APPS (tests/settings.py) are not collected.
collect_ignore = [
    app.rsplit(".", 1)[-1] for app in settings.LEFT_OUT_APPS if app.startswith("forge_suite.")
]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the run's media folder (tests/settings.py), once, from the pytest process."""
    import os
    import shutil

    media = str(settings.MEDIA_ROOT)
    if os.path.basename(media) == f"forge-tests-media-{os.getpid()}":
        shutil.rmtree(media, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect PostgreSQL-only tests on a SQLite run and SQLite-only tests on a PostgreSQL run."""
    # seams: tests marked needs_apps("forge_suite.x") leave with the apps this run leaves out.
    left_out = set(settings.LEFT_OUT_APPS)
    keep = [
        item
        for item in items
        if not any(set(m.args) & left_out for m in item.iter_markers("needs_apps"))
    ]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
    # Backend-specific tests run in the run of their backend and are deselected in the other.
    other = "sqlite" if connection.vendor == "postgresql" else "postgres"
    # FORGE_TEST_DB_ONLY=1 (the second run of scripts/dev.py test): only the tests that use the
    # database, which are the ones whose outcome can depend on it; the SQLite run ran the rest.
    db_only = os.environ.get("FORGE_TEST_DB_ONLY") == "1"
    selected, deselected = [], []
    for item in items:
        off = item.get_closest_marker(other) or (db_only and not _uses_database(item))
        (deselected if off else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


#: pytest-django fixtures that give a test the database.
_DB_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "django_user_model",
        "admin_user",
        "admin_client",
        "live_server",
    }
)


def _uses_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") or item.get_closest_marker("postgres"):
        return True
    return bool(_DB_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def pytest_runtest_setup(item: pytest.Item) -> None:
    for name in PROBLEMS:
        if item.get_closest_marker(name):
            require(name)


@pytest.fixture
def redis_url() -> str:
    """URL of the real test Redis (the test must be marked ``@pytest.mark.redis``)."""
    require("redis")
    return str(settings.TEST_REDIS_URL)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Any]:
    """A client on the test Redis; keys under ``client.test_prefix`` are removed afterwards."""
    import redis

    client = redis.Redis.from_url(redis_url)
    prefix = f"forge-test:{uuid.uuid4().hex[:12]}:"
    client.test_prefix = prefix  # type: ignore[attr-defined]
    yield client
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)
    client.close()


@pytest.fixture
def amqp_url() -> str:
    require("rabbitmq")
    return str(settings.TEST_AMQP_URL)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium under Selenium (tests marked ``browser``), elements awaited 5 s."""
    from tests.support.browser import chromium

    driver = chromium(implicit_wait=5)
    yield driver
    driver.quit()
