"""The mail endpoints of the API (mounted under ``mail/`` by :mod:`forge_suite.api.urls`).

- ``GET mailables/``: the Mailables this API may send (``FORGE["API"]["MAILABLES"]``);
- ``POST messages/``: queue one of them for 1-``MAX_RECIPIENTS`` recipients with a JSON
  context (scope ``mail:send``); 202 with the message's id and status;
- ``GET messages/{id}/``: a message's status and its delivery events (scope ``mail:read``; a
  user's token or session also needs the outbox's view permission).
"""

from __future__ import annotations

from typing import Any

from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import path
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import RetrieveAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forge_suite.api.conf import app_settings as api_settings
from forge_suite.api.serializers import StrictSerializer
from forge_suite.api.views import ForgeApiMixin
from forge_suite.mailer.exceptions import MailerError
from forge_suite.mailer.mailable import Mailable
from forge_suite.mailer.models import EmailEvent, OutboundEmail

__all__ = ["MessageView", "SendView", "urlpatterns"]


def sendable() -> dict[str, type[Mailable]]:
    """The Mailables the API may send, by dotted path."""
    return {str(dotted): import_string(str(dotted)) for dotted in api_settings.MAILABLES}


class SendSerializer(StrictSerializer):
    mailable = serializers.CharField(max_length=255)
    to = serializers.ListField(child=serializers.EmailField(), min_length=1)
    cc = serializers.ListField(child=serializers.EmailField(), required=False, default=list)
    context = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]

    def validate_mailable(self, value: str) -> str:
        if value not in sendable():
            raise serializers.ValidationError(
                'not a Mailable this API may send (FORGE["API"]["MAILABLES"])'
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        most = int(api_settings.MAX_RECIPIENTS)
        if len(attrs["to"]) + len(attrs["cc"]) > most:
            raise serializers.ValidationError({"to": [f"at most {most} recipients (to + cc)"]})
        return attrs


class MailablesView(ForgeApiMixin, APIView):
    """What ``POST messages/`` accepts as ``mailable``."""

    read_scopes = ("mail:send",)

    @extend_schema(
        responses={
            200: inline_serializer(
                "SendableMailable",
                {"mailable": serializers.CharField(), "subject": serializers.CharField()},
                many=True,
            )
        }
    )
    def get(self, request: Request) -> Response:
        return Response(
            [{"mailable": name, "subject": cls.subject} for name, cls in sendable().items()]
        )


class SendView(ForgeApiMixin, APIView):
    """Queue a registered Mailable (sent by a worker, after this request's transaction)."""

    write_scopes = ("mail:send",)

    @extend_schema(
        request=SendSerializer,
        responses={
            202: inline_serializer(
                "QueuedMail", {"id": serializers.UUIDField(), "status": serializers.CharField()}
            )
        },
    )
    def post(self, request: Request) -> Response:
        body = SendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        mailable = sendable()[values["mailable"]](**values["context"]).to(*values["to"])
        if values["cc"]:
            mailable = mailable.cc(*values["cc"])
        try:
            row = mailable.queue()
        except (MailerError, TemplateDoesNotExist, TemplateSyntaxError) as exc:
            # Nothing was queued; the message names what the Mailable could not render.
            raise serializers.ValidationError(
                {"context": [f"the mail could not be prepared: {exc}"]}
            ) from exc
        return Response({"id": row.uuid, "status": row.status}, status=status.HTTP_202_ACCEPTED)


class EventSerializer(serializers.ModelSerializer[EmailEvent]):
    class Meta:
        model = EmailEvent
        fields = ["event_type", "recipient", "reject_reason", "description", "timestamp"]


class MessageSerializer(serializers.ModelSerializer[OutboundEmail]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    events = EventSerializer(many=True, read_only=True)

    class Meta:
        model = OutboundEmail
        fields = [
            "id",
            "mailable",
            "status",
            "to",
            "cc",
            "subject",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "events",
        ]
        read_only_fields = fields


class MessageView(ForgeApiMixin, RetrieveAPIView[OutboundEmail]):
    """A message of the outbox: its status and delivery events (ESP webhooks)."""

    serializer_class = MessageSerializer
    queryset = OutboundEmail.objects.prefetch_related("events")
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    read_scopes = ("mail:read",)
    read_permissions = ("forge_mailer.view_outboundemail",)


urlpatterns = [
    path("mailables/", MailablesView.as_view(), name="forge-api-mailables"),
    path("messages/", SendView.as_view(), name="forge-api-mail-send"),
    path("messages/<uuid:id>/", MessageView.as_view(), name="forge-api-mail-message"),
]
