"""ASGI application of the benchmark servers: our Pusher endpoint and the baseline consumer.

The baseline is what a Channels user writes by hand (the Channels tutorial pattern): every
socket joins a channel-layer group and ``group_send`` fans a message out to each member.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.realtime_bench_settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from forge_suite.realtime.consumers import PusherConsumer  # noqa: E402

BASELINE_GROUP = "bench"


class GroupFanoutConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add(BASELINE_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(BASELINE_GROUP, self.channel_name)

    async def bench_message(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                path("app/<str:app_key>", PusherConsumer.as_asgi()),
                path("baseline/", GroupFanoutConsumer.as_asgi()),
            ]
        ),
    }
)
