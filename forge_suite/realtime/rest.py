"""The realtime endpoints of the API (mounted under ``realtime/`` by :mod:`forge_suite.api.urls`).

- ``POST auth/``: pusher-js / laravel-echo channel authorization with a bearer token issued to
  a user (scope ``realtime:auth``); the same answer as ``/broadcasting/auth``;
- ``POST events/``: trigger an event on up to 100 channels (scope ``realtime:trigger``);
- ``GET channels/``, ``GET channels/<name>/`` and ``GET channels/<name>/users/``: what Pusher's
  HTTP API answers about occupied channels, one channel and a presence channel's users (scope
  ``realtime:trigger``; session users: staff).

``?app=<id>`` picks the realtime app (default: the one ``/broadcasting/auth`` uses). The channel
queries read the shared state: with Redis every server process counts; without it only the
process serving the sockets knows, so ask that one (run the API in the ASGI server).
"""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import async_to_sync
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forge_suite.api.serializers import StrictSerializer
from forge_suite.api.views import ForgeApiMixin
from forge_suite.realtime import queries
from forge_suite.realtime.broadcasting import broadcast
from forge_suite.realtime.exceptions import InvalidChannelName, InvalidEvent, UnknownApp
from forge_suite.realtime.hub import reading_state
from forge_suite.realtime.registry import RealtimeApp, default_app, get_app, validate_channel_name
from forge_suite.realtime.views import subscription_answer

__all__ = [
    "ChannelAuthView",
    "ChannelUsersView",
    "ChannelView",
    "ChannelsView",
    "EventSerializer",
    "TriggerEventView",
    "urlpatterns",
]

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


class EventSerializer(StrictSerializer):
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
        app = _app(request)
        try:
            pending = broadcast(values["name"], values["data"], app=app.id)
            pending.to_others(values.get("socket_id")).to_channel(*values["channels"])
        except InvalidEvent as exc:
            raise serializers.ValidationError({"name": [str(exc)]}) from exc
        return Response({"channels": len(values["channels"])}, status=status.HTTP_202_ACCEPTED)


def _app(request: Request) -> RealtimeApp:
    """The app named by ``?app=<id>``, else the default one; 404 for an unknown id."""
    app_id = request.query_params.get("app")
    try:
        return get_app(id=app_id) if app_id else default_app()
    except UnknownApp as exc:
        raise NotFound(str(exc)) from exc


def _info_field(allowed: tuple[str, ...]) -> serializers.CharField:
    return serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=200,
        help_text=f"comma-separated attributes: {', '.join(allowed)}",
    )


def _split_info(value: str, allowed: tuple[str, ...]) -> set[str]:
    info = {item for item in value.split(",") if item}
    unknown = sorted(info.difference(allowed))
    if unknown:
        raise serializers.ValidationError(
            f"unknown attribute {', '.join(unknown)}; one of {', '.join(allowed)}"
        )
    return info


class ChannelsQuery(serializers.Serializer[Any]):
    filter_by_prefix = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=200
    )
    info = _info_field(queries.CHANNELS_INFO)

    def validate_info(self, value: str) -> set[str]:
        return _split_info(value, queries.CHANNELS_INFO)


class ChannelQuery(serializers.Serializer[Any]):
    info = _info_field(queries.CHANNEL_INFO)

    def validate_info(self, value: str) -> set[str]:
        return _split_info(value, queries.CHANNEL_INFO)


def _channel(name: str) -> str:
    try:
        validate_channel_name(name)
    except InvalidChannelName as exc:
        raise serializers.ValidationError({"channel": [str(exc)]}) from exc
    return name


class _ChannelQueryView(ForgeApiMixin, APIView):
    read_scopes = ("realtime:trigger",)
    pagination_class = None  # Pusher's answers are whole objects

    def query(self, run: Any, *args: Any) -> Any:
        """Run ``run(state, *args)`` on the shared state; a refused query is a 400."""

        async def ask() -> Any:
            async with reading_state() as state:
                return await run(state, *args)

        try:
            return async_to_sync(ask)()
        except queries.ChannelQueryError as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from exc


class ChannelsView(_ChannelQueryView):
    """Occupied channels, optionally those starting with a prefix (Pusher's ``GET channels``)."""

    @extend_schema(
        operation_id="realtime_channels_list",
        parameters=[ChannelsQuery],
        responses={
            200: inline_serializer(
                "ChannelList",
                {
                    "channels": serializers.DictField(
                        child=serializers.DictField(child=serializers.IntegerField())
                    )
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        query = ChannelsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        app = _app(request)
        found = self.query(
            queries.channels_info, app.id, values["filter_by_prefix"], values["info"]
        )
        return Response({"channels": found})


class ChannelView(_ChannelQueryView):
    """Whether a channel is occupied, and its subscription count, user count or cached event."""

    @extend_schema(
        operation_id="realtime_channel_retrieve",
        parameters=[ChannelQuery],
        responses={
            200: inline_serializer(
                "ChannelInfo",
                {
                    "occupied": serializers.BooleanField(),
                    "subscription_count": serializers.IntegerField(required=False),
                    "user_count": serializers.IntegerField(required=False),
                    "cache": serializers.JSONField(required=False),
                },
            )
        },
    )
    def get(self, request: Request, channel: str) -> Response:
        query = ChannelQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        app = _app(request)
        info = self.query(
            queries.channel_info, app.id, _channel(channel), query.validated_data["info"]
        )
        return Response(info)


class ChannelUsersView(_ChannelQueryView):
    """The members of a presence channel (Pusher's ``GET channels/<name>/users``)."""

    @extend_schema(
        operation_id="realtime_channel_users",
        responses={
            200: inline_serializer(
                "ChannelUsers",
                {"users": serializers.ListField(child=serializers.DictField())},
            )
        },
    )
    def get(self, request: Request, channel: str) -> Response:
        app = _app(request)
        users = self.query(queries.channel_users, app.id, _channel(channel))
        return Response({"users": [{"id": user_id} for user_id in users]})


urlpatterns = [
    path("auth/", ChannelAuthView.as_view(), name="forge-api-realtime-auth"),
    path("events/", TriggerEventView.as_view(), name="forge-api-realtime-events"),
    path("channels/", ChannelsView.as_view(), name="forge-api-realtime-channels"),
    path("channels/<str:channel>/", ChannelView.as_view(), name="forge-api-realtime-channel"),
    path(
        "channels/<str:channel>/users/",
        ChannelUsersView.as_view(),
        name="forge-api-realtime-channel-users",
    ),
]
