"""The event-store endpoints of the API (mounted under ``events/`` by :mod:`forge_suite.api.urls`).

- ``GET streams/{stream_id}/``: a stream's events in version order (``?from_version=``,
  ``?limit=``, at most 1,000);
- ``POST streams/{stream_id}/``: append 1-100 events with an expected version (a number,
  ``"any"`` or ``"no_stream"``); 409 on a concurrency conflict, nothing appended;
- ``GET all/``: the global order after a position (``?after=<transaction id>:<position>``,
  ``?limit=``, ``?type=`` repeated), never skipping an event that commits late, with the
  position to resume from in ``next``.

Scopes ``events:read`` / ``events:write``; session users need the stored event model's view
permission (reads) or to be superusers (appends: events are the system's record).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forge_suite.api.serializers import StrictSerializer
from forge_suite.api.views import ForgeApiMixin
from forge_suite.eventstore.events import RecordedEvent
from forge_suite.eventstore.exceptions import ConcurrencyError, EventStoreError
from forge_suite.eventstore.store import (
    ANY,
    NO_STREAM,
    NewEvent,
    Position,
    append,
    read_all,
    read_stream,
)

__all__ = ["GlobalOrderView", "StreamView", "urlpatterns"]

MAX_READ = 1000


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The stream is at another version than expected; nothing was appended."
    default_code = "concurrency_conflict"


def position_text(transaction_id: int, position: int) -> str:
    return f"{transaction_id}:{position}"


class RecordedEventSerializer(serializers.Serializer[Any]):
    event_id = serializers.UUIDField()
    stream_id = serializers.CharField()
    version = serializers.IntegerField()
    type = serializers.CharField()
    schema_version = serializers.IntegerField()
    data = serializers.JSONField()  # type: ignore[assignment]
    metadata = serializers.JSONField()
    recorded_at = serializers.DateTimeField()
    position = serializers.SerializerMethodField()

    def get_position(self, event: RecordedEvent) -> str:
        return position_text(event.transaction_id, event.position)


class NewEventSerializer(StrictSerializer):
    type = serializers.CharField(max_length=255)
    data = serializers.DictField()  # type: ignore[assignment]
    metadata = serializers.DictField(required=False)
    schema_version = serializers.IntegerField(min_value=1, default=1)


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["any", "no_stream"]}]}
)
class ExpectedVersionField(serializers.Field[Any, Any, Any, Any]):
    default_error_messages = {"invalid": 'a version (0 or more), "any" or "no_stream"'}

    def to_internal_value(self, data: Any) -> Any:
        if data == "any":
            return ANY
        if data == "no_stream":
            return NO_STREAM
        if isinstance(data, int) and not isinstance(data, bool) and data >= 0:
            return data
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class AppendSerializer(StrictSerializer):
    expected_version = ExpectedVersionField(required=False, help_text='default "any"')
    events = NewEventSerializer(many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"an integer from {low} to {high}"]}) from None
    if not low <= value <= high:
        raise ValidationError({name: [f"an integer from {low} to {high}"]})
    return value


class StreamView(ForgeApiMixin, APIView):
    """Read one stream, or append to it with optimistic concurrency."""

    read_scopes = ("events:read",)
    write_scopes = ("events:write",)
    read_permissions = ("forge_eventstore.view_storedevent",)
    write_permissions = ("forge_eventstore.add_storedevent",)

    @extend_schema(
        parameters=[
            OpenApiParameter("from_version", int, description="first version (default 1)"),
            OpenApiParameter("limit", int, description=f"at most {MAX_READ}"),
        ],
        responses={200: RecordedEventSerializer(many=True)},
    )
    def get(self, request: Request, stream_id: str) -> Response:
        start = _int_param(request, "from_version", 1, 1, 2**62)
        limit = _int_param(request, "limit", MAX_READ, 1, MAX_READ)
        events = read_stream(stream_id, start, start + limit - 1)
        return Response(RecordedEventSerializer(events, many=True).data)

    @extend_schema(request=AppendSerializer, responses={201: RecordedEventSerializer(many=True)})
    def post(self, request: Request, stream_id: str) -> Response:
        body = AppendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        events = [
            NewEvent(e["type"], e["data"], e["schema_version"], e.get("metadata"))
            for e in values["events"]
        ]
        try:
            recorded = append(stream_id, events, values.get("expected_version", ANY))
        except ConcurrencyError as exc:
            raise Conflict(str(exc)) from exc
        except EventStoreError as exc:
            raise ValidationError({"stream_id": [str(exc)]}) from exc
        data = RecordedEventSerializer(recorded, many=True).data
        return Response(data, status=status.HTTP_201_CREATED)


class GlobalOrderView(ForgeApiMixin, APIView):
    """The global order of every stream, resumable from the position in ``next``."""

    read_scopes = ("events:read",)
    read_permissions = ("forge_eventstore.view_storedevent",)

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="<transaction id>:<position> (default 0:0)"),
            OpenApiParameter("limit", int, description=f"at most {MAX_READ}"),
            OpenApiParameter("type", str, many=True, description="only these event types"),
        ],
        responses={
            200: inline_serializer(
                "GlobalOrderPage",
                {
                    "events": RecordedEventSerializer(many=True),
                    "next": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("after", "0:0")
        try:
            tx, pos = (int(part) for part in raw.split(":"))
            if tx < 0 or pos < 0:
                raise ValueError
        except ValueError:
            raise ValidationError(
                {"after": ['"<transaction id>:<position>", as in "next"']}
            ) from None
        limit = _int_param(request, "limit", 100, 1, MAX_READ)
        types = request.query_params.getlist("type") or None
        events = read_all(Position(tx, pos), limit, types=types)
        last = events[-1] if events else None
        next_position = position_text(last.transaction_id, last.position) if last else raw
        return Response(
            {"events": RecordedEventSerializer(events, many=True).data, "next": next_position}
        )


urlpatterns = [
    path("streams/<str:stream_id>/", StreamView.as_view(), name="forge-api-events-stream"),
    path("all/", GlobalOrderView.as_view(), name="forge-api-events-all"),
]
