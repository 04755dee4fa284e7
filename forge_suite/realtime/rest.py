"""The realtime endpoints of the API (mounted under ``realtime/`` by :mod:`forge_suite.api.urls`).

- ``POST auth/``: pusher-js / laravel-echo channel authorization with a bearer token issued to
  a user (scope ``realtime:auth``); the same answer as ``/broadcasting/auth``;
- ``POST events/``: trigger an event on up to 100 channels (scope ``realtime:trigger``).
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forge_suite.api.views import ForgeApiMixin
from forge_suite.realtime.broadcasting import broadcast
from forge_suite.realtime.exceptions import InvalidChannelName, InvalidEvent
from forge_suite.realtime.registry import validate_channel_name
from forge_suite.realtime.views import subscription_answer

__all__ = ["ChannelAuthView", "EventSerializer", "TriggerEventView", "urlpatterns"]

#: Largest event payload, as Pusher Channels allows (10 KB of JSON).
MAX_DATA_BYTES = 10_240


class ChannelAuthSerializer(serializers.Serializer[Any]):
    socket_id = serializers.CharField(max_length=50)
    channel_name = serializers.CharField(max_length=200)


class ChannelAuthView(ForgeApiMixin, APIView):
    """Sign a private or presence subscription for the token's user (Pusher's auth answer)."""

    user_scoped = True  # the user's own inbox/files/usage/subscriptions
    write_scopes = ("realtime:auth",)
    parser_classes = [FormParser, MultiPartParser, JSONParser]  # pusher-js posts a form

    @extend_schema(
        request=ChannelAuthSerializer,
        responses={
            200: inline_serializer(
                "ChannelAuth",
                {
                    "auth": serializers.CharField(),
                    "channel_data": serializers.CharField(required=False),
                    "shared_secret": serializers.CharField(required=False),
                },
            )
        },
    )
    def post(self, request: Request) -> Response:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            if request.auth is not None:
                raise PermissionDenied(
                    "Channel authorization needs a token issued to a user; client-credentials "
                    "tokens have none."
                )
            raise NotAuthenticated()
        data = ChannelAuthSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        code, body = subscription_answer(
            user,
            data.validated_data["socket_id"],
            data.validated_data["channel_name"],
            request.query_params.get("app"),
        )
        return Response(body, status=code)


class EventSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    channels = serializers.ListField(
        child=serializers.CharField(max_length=200), min_length=1, max_length=100
    )
    data = serializers.JSONField(required=False, default=dict)  # type: ignore[assignment]
    socket_id = serializers.CharField(
        max_length=50, required=False, help_text="leave this connection out (the sender)"
    )

    def validate_channels(self, channels: list[str]) -> list[str]:
        for channel in channels:
            try:
                validate_channel_name(channel)
            except InvalidChannelName as exc:
                raise serializers.ValidationError(str(exc)) from exc
        return channels

    def validate_data(self, data: Any) -> Any:
        size = len(json.dumps(data, separators=(",", ":")).encode())
        if size > MAX_DATA_BYTES:
            raise serializers.ValidationError(
                f"{size:,} bytes of JSON; at most {MAX_DATA_BYTES:,} (Pusher's limit)."
            )
        return data


class TriggerEventView(ForgeApiMixin, APIView):
    """Send an event to every subscriber of the channels (what ``broadcast()`` does)."""

    write_scopes = ("realtime:trigger",)

    @extend_schema(
        request=EventSerializer,
        responses={202: inline_serializer("Triggered", {"channels": serializers.IntegerField()})},
    )
    def post(self, request: Request) -> Response:
        event = EventSerializer(data=request.data)
        event.is_valid(raise_exception=True)
        values = event.validated_data
        try:
            pending = broadcast(values["name"], values["data"], app=request.query_params.get("app"))
            pending.to_others(values.get("socket_id")).to_channel(*values["channels"])
        except InvalidEvent as exc:
            raise serializers.ValidationError({"name": [str(exc)]}) from exc
        return Response({"channels": len(values["channels"])}, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path("auth/", ChannelAuthView.as_view(), name="forge-api-realtime-auth"),
    path("events/", TriggerEventView.as_view(), name="forge-api-realtime-events"),
]
