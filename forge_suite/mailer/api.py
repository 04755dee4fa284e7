"""A small DRF API over the signed-in user's notification inbox.

``path("api/notifications/", include("forge_suite.mailer.api_urls"))`` gives::

    GET  /api/notifications/            the user's notifications (``?unread=1`` for unread only)
    POST /api/notifications/<id>/read/  mark one read
    POST /api/notifications/read-all/   mark all read
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from forge_suite.mailer.models import DatabaseNotification


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = DatabaseNotification
        fields = ["id", "kind", "data", "read_at", "is_read", "created_at"]
        read_only_fields = fields


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The inbox of ``request.user``; nobody sees another user's notifications."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[DatabaseNotification]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator has no user
            return DatabaseNotification.objects.none()
        rows = DatabaseNotification.objects.filter(user_id=int(self.request.user.pk or 0))
        if self.request.query_params.get("unread") in {"1", "true"}:
            rows = rows.filter(read_at__isnull=True)
        return rows

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        unread = DatabaseNotification.objects.filter(
            user_id=int(request.user.pk or 0), read_at__isnull=True
        )
        response["X-Unread-Count"] = str(unread.count())
        return response

    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(self.get_serializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        count = self.get_queryset().filter(read_at__isnull=True).update(read_at=timezone.now())
        return Response({"marked": count})
