"""The files endpoints of the API (mounted under ``files/`` by :mod:`forge_suite.api.urls`).

- ``GET /``: the caller's files, newest first (cursor pages);
- ``POST /``: upload one file, as ``multipart/form-data`` (field ``file``) or a raw body with
  ``?filename=``; the same validation and answers as the files app's upload endpoint;
- ``GET {key}/``: a file's metadata (the access policy decides, 404 otherwise);
- ``POST {key}/url/``: a signed, expiring download link (``{"expires": seconds}``).

Scopes ``files:read`` / ``files:write``; they need a user (a client-credentials token has no
files of its own and gets 403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import path
from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import BaseParser, DataAndFiles
from rest_framework.request import Request
from rest_framework.response import Response

from forge_suite.api.pagination import ForgeCursorPagination
from forge_suite.api.serializers import StrictSerializer
from forge_suite.api.views import ForgeApiMixin
from forge_suite.files.access import can_access
from forge_suite.files.models import StoredFile
from forge_suite.files.views import upload_as

__all__ = ["FileViewSet", "urlpatterns"]

#: Longest link ``url/`` hands out (seconds).
MAX_EXPIRES = 7 * 24 * 3600


class StoredFileSerializer(serializers.ModelSerializer[StoredFile]):
    class Meta:
        model = StoredFile
        fields = [
            "key",
            "original_name",
            "size",
            "content_type",
            "sha256",
            "visibility",
            "metadata",
            "created",
        ]
        read_only_fields = fields


class LinkRequestSerializer(StrictSerializer):
    expires = serializers.IntegerField(min_value=1, max_value=MAX_EXPIRES, default=3600)


class RawBody(BaseParser):
    """Leave the body unread: the upload streams it through the files app's size-limited
    handlers (multipart) or reader (raw bodies). Authentication still asks for the parsed
    body (django-oauth-toolkit reads form fields); it gets an empty one."""

    media_type = "*/*"

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> DataAndFiles[Any, Any]:
        return DataAndFiles(QueryDict(), MultiValueDict())


def _unparsed(request: Request) -> HttpRequest:
    """The Django request with DRF's placeholder form data removed, so that the upload parses
    the body itself with its size-limited handlers."""
    django_request = request._request
    for attribute in ("_post", "_files"):
        django_request.__dict__.pop(attribute, None)
    return django_request


class FilePagination(ForgeCursorPagination):
    ordering = "-created"


class FileViewSet(
    ForgeApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[StoredFile],
):
    """The caller's stored files."""

    serializer_class = StoredFileSerializer
    pagination_class = FilePagination
    lookup_field = "key"
    user_scoped = True  # the user's own inbox/files/usage/subscriptions
    read_scopes = ("files:read",)
    write_scopes = ("files:write",)

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if not getattr(request.user, "is_authenticated", False):
            self.permission_denied(request, message="Files need a user's token (or a session).")

    def get_queryset(self) -> QuerySet[StoredFile]:
        if self.action == "list":
            return StoredFile.objects.filter(owner_id=self.request.user.pk)
        return StoredFile.objects.all()

    def get_object(self) -> StoredFile:
        stored = super().get_object()
        if not can_access(self.request.user, stored):
            raise NotFound()  # do not tell others the file exists
        return stored

    def get_parsers(self) -> list[BaseParser]:
        if getattr(self, "action", None) == "create" or self.request_is_upload():
            return [RawBody()]
        return super().get_parsers()

    def request_is_upload(self) -> bool:
        request = getattr(self, "request", None)
        return request is not None and request.method == "POST" and not self.kwargs.get("key")

    @extend_schema(
        parameters=[OpenApiParameter("filename", str, description="name of a raw-body upload")],
        request={
            "multipart/form-data": inline_serializer(
                "FileUpload", {"file": serializers.FileField()}
            ),
            "application/octet-stream": bytes,
        },
        responses={201: inline_serializer("UploadedFile", {"key": serializers.UUIDField()})},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return upload_as(_unparsed(request), request.user)

    @extend_schema(
        request=LinkRequestSerializer,
        responses={
            200: inline_serializer(
                "DownloadLink",
                {"url": serializers.CharField(), "expires": serializers.IntegerField()},
            )
        },
    )
    @action(detail=True, methods=["post"])
    def url(self, request: Request, key: str | None = None) -> Response:
        stored = self.get_object()
        link = LinkRequestSerializer(data=request.data)
        link.is_valid(raise_exception=True)
        expires = link.validated_data["expires"]
        url = stored.url(expires)
        if url.startswith("/"):
            url = request.build_absolute_uri(url)
        return Response({"url": url, "expires": expires})


urlpatterns = [
    path("", FileViewSet.as_view({"get": "list", "post": "create"}), name="forge-api-files"),
    path("<uuid:key>/", FileViewSet.as_view({"get": "retrieve"}), name="forge-api-file"),
    path("<uuid:key>/url/", FileViewSet.as_view({"post": "url"}), name="forge-api-file-url"),
]
