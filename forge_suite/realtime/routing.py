"""WebSocket routes: ``URLRouter(websocket_urlpatterns)`` in your ASGI application."""

from __future__ import annotations

from django.urls import path

from forge_suite.realtime.consumers import PusherConsumer

websocket_urlpatterns = [path("app/<str:app_key>", PusherConsumer.as_asgi())]
