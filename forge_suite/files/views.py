"""Download views (signed temporary URLs, permission-checked downloads) and the upload endpoint."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from forge_suite.files.access import can_access
from forge_suite.files.api import reject, store
from forge_suite.files.auth import AuthFailed, authenticate
from forge_suite.files.disks import disk
from forge_suite.files.exceptions import BadSignature as BadSignatureError
from forge_suite.files.exceptions import FileTooLarge, InvalidUpload, UnknownDisk
from forge_suite.files.models import StoredFile
from forge_suite.files.requests import body_stream
from forge_suite.files.serving import serve_local
from forge_suite.files.signing import unsign_path
from forge_suite.files.uploadhandler import LimitedUploadHandler
from forge_suite.files.validation import UploadPolicy, receive

__all__ = ["download", "temporary", "upload"]


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@require_http_methods(["GET", "HEAD"])
def temporary(request: HttpRequest, token: str) -> HttpResponseBase:
    """Serve the file a signed temporary URL grants; 403 when tampered with or expired."""
    try:
        grant = unsign_path(token)
        target = disk(grant.disk)
    except BadSignatureError as exc:
        return _text(403, str(exc))
    except UnknownDisk:
        return _text(403, "The link is invalid.")
    if not target.local:
        return HttpResponseRedirect(target.temporary_url(grant.path, 300, filename=grant.filename))
    return serve_local(request, target, grant.path, filename=grant.filename, inline=grant.inline)


@require_http_methods(["GET", "HEAD"])
def download(request: HttpRequest, key: uuid.UUID) -> HttpResponseBase:
    """A StoredFile for whoever the access policy admits (404 for the others, so private
    files cannot be probed); remote disks redirect to a short-lived signed URL."""
    stored = StoredFile.objects.filter(key=key).first()
    try:
        user = authenticate(request)
    except AuthFailed as exc:
        return _text(exc.status, exc.message)
    if stored is None or not can_access(user or request.user, stored):
        return _text(404, "No such file.")
    target = disk(stored.disk)
    inline = request.GET.get("inline") == "1"
    if not target.local:
        return HttpResponseRedirect(
            target.temporary_url(
                stored.path,
                300,
                filename=stored.original_name,
                inline=inline,
                content_type=stored.content_type,
            )
        )
    return serve_local(
        request,
        target,
        stored.path,
        filename=stored.original_name,
        inline=inline,
        content_type=stored.content_type,
    )


def describe(stored: StoredFile, request: HttpRequest) -> dict[str, Any]:
    """A stored file as the upload endpoints answer it (key, name, size, type, hash, URL)."""
    from django.urls import reverse

    return {
        "key": str(stored.key),
        "name": stored.original_name,
        "size": stored.size,
        "content_type": stored.content_type,
        "sha256": stored.sha256,
        "visibility": stored.visibility,
        "url": request.build_absolute_uri(reverse("forge_files:download", args=[stored.key])),
    }


@csrf_exempt
@require_http_methods(["POST", "PUT"])
def upload(request: HttpRequest) -> HttpResponse:
    """One-shot upload: ``multipart/form-data`` (field ``file``) or a raw body named by
    ``?filename=``. The declared size is checked before reading, the real one while reading."""
    try:
        user = authenticate(request)
    except AuthFailed as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    if user is None:
        return JsonResponse({"error": "Log in to upload."}, status=401)
    return upload_as(request, user)


def upload_as(request: HttpRequest, user: Any) -> JsonResponse:
    """The upload of :func:`upload` for an already authenticated ``user`` (the API's
    ``POST files/`` calls it after its own authentication): 201 with the file's description,
    or the refusal with its status (400, 413, 415...) and reason."""
    policy = UploadPolicy.default()
    visibility = request.GET.get("visibility", "private")
    if visibility not in ("public", "private"):
        return JsonResponse({"error": "visibility must be public or private."}, status=400)
    try:
        policy.check_declared_size(request.META.get("CONTENT_LENGTH"))
        if request.content_type == "multipart/form-data":
            handler = LimitedUploadHandler(request, max_size=policy.max_size)
            request.upload_handlers = [handler]
            uploaded = request.FILES.get("file")
            if handler.exceeded:
                raise FileTooLarge(f"The upload passed the limit of {policy.max_size} bytes.")
            if uploaded is None:
                return JsonResponse({"error": "Send the file in the 'file' field."}, status=400)
            with uploaded.open("rb") as fh:
                stored = store(
                    fh,
                    uploaded.name or "upload",
                    owner=user,
                    policy=policy,
                    visibility=visibility,
                    source="api",
                )
        else:
            received = receive(body_stream(request), policy.max_size)
            try:
                with open(received.path, "rb") as fh:
                    stored = store(
                        fh,
                        request.GET.get("filename", "upload"),
                        owner=user,
                        policy=policy,
                        visibility=visibility,
                        source="api",
                        sha256=received.sha256,
                    )
            finally:
                received.cleanup()
    except InvalidUpload as exc:
        if isinstance(exc, FileTooLarge):
            reject(exc, "api")
        return JsonResponse({"error": exc.message, "reason": exc.reason}, status=exc.status)
    return JsonResponse(describe(stored, request), status=201)
