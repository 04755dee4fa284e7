"""The API when what it needs is down or hangs: a 503 with a message and ``Retry-After``, never
a 500 (the job endpoints with the broker down: tests/scheduling/test_broker_down.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.support.oauth import bearer
from tests.support.sockets import HangingServer

pytestmark = [pytest.mark.needs_apps("forge_suite.api"), pytest.mark.django_db]

REALTIME_APP = {"id": "1", "key": "k", "secret": "s"}


@pytest.fixture(params=["down", "hangs"])
def dead_redis(request: Any) -> Iterator[str]:
    """A Redis URL nobody answers: refused at once, or accepted and never answered."""
    if request.param == "down":
        from tests.support.servers import free_port

        yield f"redis://127.0.0.1:{free_port()}/0"
        return
    server = HangingServer()
    yield f"redis://127.0.0.1:{server.port}/0"
    server.close()


@pytest.fixture
def staff() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("ops", password="pw-12345678")


def _refused_with_503(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert "unavailable" in response.json()["detail"], response.content
    assert response["Retry-After"] == "5"


def test_realtime_endpoints_answer_503_when_redis_is_down_or_hangs(
    dead_redis: str, settings: Any, staff: Any
) -> None:
    settings.FORGE = {
        "REDIS_SOCKET_TIMEOUT": 1,
        "REALTIME": {"APPS": [REALTIME_APP], "REDIS_URL": dead_redis, "PUBLISH_TIMEOUT": 1},
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [dead_redis]},
        }
    }
    client = Client()
    headers = bearer("realtime:trigger", staff)
    _refused_with_503(client.get("/api/v1/realtime/channels/", headers=headers))
    _refused_with_503(client.get("/api/v1/realtime/channels/news/", headers=headers))
    sent = client.post(
        "/api/v1/realtime/events/",
        {"name": "x", "channels": ["news"]},
        content_type="application/json",
        headers=headers,
    )
    _refused_with_503(sent)
