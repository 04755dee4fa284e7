"""The tus 1.0.0 endpoint (``/files/tus/`` and ``/files/tus/<id>``).

Every fact about an upload is in its ``TusUpload`` row, so any process can take the next
request and an upload survives a server restart. Each PATCH is streamed (never read into
memory) to the disk's backend; the row is locked while it is written.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import uuid
from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from forge_suite.files.api import check_quota
from forge_suite.files.auth import AuthFailed, authenticate
from forge_suite.files.conf import app_settings
from forge_suite.files.exceptions import FilesError, InvalidUpload
from forge_suite.files.models import TusUpload, UploadState
from forge_suite.files.requests import body_stream
from forge_suite.files.tus import digests
from forge_suite.files.tus.backends import (
    ALGORITHMS,
    ChecksumMismatch,
    TooMuchData,
    backend_for,
    decode_checksum,
)
from forge_suite.files.tus.finalize import finalize

__all__ = ["tus_collection", "tus_upload"]

logger = logging.getLogger("forge_suite.files")

VERSION = "1.0.0"
EXTENSIONS = (
    "creation,creation-with-upload,creation-defer-length,expiration,checksum,termination,"
    "concatenation"
)
OFFSET_TYPE = "application/offset+octet-stream"
EXPOSE = (
    "Location, Upload-Offset, Upload-Length, Upload-Defer-Length, Upload-Metadata, "
    "Upload-Expires, Upload-Concat, Tus-Version, Tus-Resumable, Tus-Extension, Tus-Max-Size, "
    "Tus-Checksum-Algorithm"
)


def _response(status: int, message: str = "", **headers: str) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = VERSION
    response["Access-Control-Expose-Headers"] = EXPOSE
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _options() -> HttpResponse:
    return _response(
        204,
        Tus_Version=VERSION,
        Tus_Extension=EXTENSIONS,
        Tus_Max_Size=str(app_settings.TUS_MAX_SIZE),
        Tus_Checksum_Algorithm=",".join(ALGORITHMS),
    )


def _method(request: HttpRequest) -> str:
    return (request.headers.get("X-HTTP-Method-Override") or request.method or "GET").upper()


def _preamble(request: HttpRequest) -> tuple[str, Any, HttpResponse | None]:
    """``(method, user, early response)``: version and authentication checks."""
    method = _method(request)
    if method == "OPTIONS":
        return method, None, _options()
    if request.headers.get("Tus-Resumable") != VERSION:
        return (
            method,
            None,
            _response(412, "Unsupported Tus-Resumable version.", Tus_Version=VERSION),
        )
    try:
        user = authenticate(request)
    except AuthFailed as exc:
        return method, None, _response(exc.status, exc.message)
    if user is None and not app_settings.TUS_ALLOW_ANONYMOUS:
        return method, None, _response(401, "Log in or send a bearer token to upload.")
    return method, user, None


def parse_metadata(header: str) -> tuple[dict[str, str], str | None]:
    """``Upload-Metadata`` as a dict; the second value is an error message."""
    result: dict[str, str] = {}
    if not header.strip():
        return result, None
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        key = parts[0]
        if not key or len(parts) > 2 or key in result:
            return {}, "Upload-Metadata is malformed (keys must be unique, values base64)."
        try:
            value = (
                base64.b64decode(parts[1], validate=True).decode("utf-8", "replace")
                if len(parts) == 2
                else ""
            )
        except (binascii.Error, ValueError):
            return {}, f"Upload-Metadata value of {key!r} is not base64."
        result[key] = "".join(ch for ch in value if ch.isprintable())[:1024]
    return result, None


def _int_header(request: HttpRequest, name: str) -> int | None:
    value = request.headers.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise ValueError(f"{name} must be a non-negative integer.")
    return int(value)


def _expires() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=int(app_settings.TUS_EXPIRY))


def _location(request: HttpRequest, upload: TusUpload) -> str:
    return request.build_absolute_uri(reverse("forge_files:tus-upload", args=[upload.pk]))


def _upload_id(url: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(url.rstrip("/").rsplit("/", 1)[-1])
    except ValueError:
        return None


def _owned(user: Any) -> dict[str, Any]:
    return {"owner": user} if user is not None else {"owner__isnull": True}


@csrf_exempt
def tus_collection(request: HttpRequest) -> HttpResponse:
    """OPTIONS (discovery) and POST (creation, creation-with-upload, concatenation)."""
    method, user, early = _preamble(request)
    if early is not None:
        return early
    if method != "POST":
        return _response(405, "Use POST to create an upload.", Allow="POST, OPTIONS")
    try:
        length = _int_header(request, "Upload-Length")
    except ValueError as exc:
        return _response(400, str(exc))
    defer = request.headers.get("Upload-Defer-Length")
    if defer is not None and defer != "1":
        return _response(400, "Upload-Defer-Length must be 1.")
    metadata, error = parse_metadata(request.headers.get("Upload-Metadata", ""))
    if error:
        return _response(400, error)
    concat = request.headers.get("Upload-Concat", "")
    if concat.startswith("final;"):
        return _create_final(request, user, concat, metadata)
    if concat not in ("", "partial"):
        return _response(400, "Upload-Concat must be 'partial' or 'final;<urls>'.")
    if length is None and defer != "1":
        return _response(400, "Send Upload-Length or Upload-Defer-Length: 1.")
    if length is not None and length > app_settings.TUS_MAX_SIZE:
        return _response(413, f"Upload-Length is over Tus-Max-Size ({app_settings.TUS_MAX_SIZE}).")
    try:
        if user is not None and concat != "partial":
            check_quota(user, length or 0)
        upload = TusUpload(
            owner=user,
            disk=app_settings.DISK,
            length=length,
            metadata=metadata,
            raw_metadata=request.headers.get("Upload-Metadata", ""),
            concat=concat,
            expires=_expires(),
        )
        backend = backend_for(upload.disk)
        upload.path = backend.object_path(upload)
    except InvalidUpload as exc:
        return _response(413, exc.message)
    except FilesError as exc:
        logger.error("tus: %s", exc)
        return _response(503, str(exc))
    backend.create(upload)
    upload.save()
    if upload.length == 0:
        try:
            finalize(upload)
        except InvalidUpload as exc:
            return _response(422, exc.message, Location=_location(request, upload))
    headers = {
        "Location": _location(request, upload),
        "Upload-Expires": http_date(upload.expires.timestamp()),
    }
    if (
        request.content_type == OFFSET_TYPE and request.headers.get("Content-Length") != "0"
    ):  # a body (sized, or chunked without Content-Length) comes with the creation
        response = _patch(request, user, upload.pk, creating=True)
        if response.status_code != 204:
            return response
        response.status_code = 201
        for name, value in headers.items():
            response[name] = value
        return response
    return _response(201, **headers)


def _create_final(
    request: HttpRequest, user: Any, concat: str, metadata: dict[str, str]
) -> HttpResponse:
    ids = [_upload_id(url) for url in concat[len("final;") :].split()]
    found = [i for i in ids if i is not None]
    if not ids or len(found) != len(ids):
        return _response(400, "Upload-Concat final needs the URLs of the partial uploads.")
    partials = {
        u.pk: u for u in TusUpload.objects.filter(pk__in=found, concat="partial", **_owned(user))
    }
    if len(partials) != len(set(ids)):
        return _response(404, "A partial upload is unknown.")
    ordered = [partials[i] for i in ids if i is not None]
    if any(p.state != UploadState.COMPLETE for p in ordered):
        return _response(
            400,
            "Every partial upload must be complete (concatenation-unfinished is not supported).",
        )
    length = sum(int(p.length or 0) for p in ordered)
    if length > app_settings.TUS_MAX_SIZE:
        return _response(413, "The concatenated upload is over Tus-Max-Size.")
    try:
        if user is not None:
            check_quota(user, length)
    except InvalidUpload as exc:
        return _response(413, exc.message)
    upload = TusUpload(
        owner=user,
        disk=ordered[0].disk,
        length=length,
        metadata=metadata,
        raw_metadata=request.headers.get("Upload-Metadata", ""),
        concat="final",
        concat_parts=[str(p.pk) for p in ordered],
        expires=_expires(),
    )
    backend = backend_for(upload.disk)
    upload.path = backend.object_path(upload)
    upload.save()
    backend.append_from(upload, ordered)
    upload.offset = length
    upload.save()
    location = _location(request, upload)
    try:
        finalize(upload)
    except InvalidUpload as exc:
        return _response(422, exc.message, Location=location)
    return _response(201, Location=location)


@csrf_exempt
def tus_upload(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """HEAD (offset), PATCH (append), DELETE (termination), OPTIONS."""
    method, user, early = _preamble(request)
    if early is not None:
        return early
    if method == "PATCH":
        return _patch(request, user, upload_id)
    upload = TusUpload.objects.filter(pk=upload_id, **_owned(user)).first()
    if upload is None:
        return _response(404, "No such upload.")
    if method == "HEAD":
        return _head(upload)
    if method == "DELETE":
        if upload.state == UploadState.TERMINATED:
            return _response(410, "The upload was terminated.")
        backend_for(upload.disk).terminate(upload)
        TusUpload.objects.filter(pk=upload.pk).update(state=UploadState.TERMINATED)
        return _response(204)
    return _response(405, "Use HEAD, PATCH or DELETE.", Allow="HEAD, PATCH, DELETE, OPTIONS")


def _gone(upload: TusUpload) -> HttpResponse | None:
    if upload.state in (UploadState.TERMINATED, UploadState.REJECTED):
        return _response(410, f"The upload was {upload.state}.")
    if upload.state == UploadState.ACTIVE and upload.expires < timezone.now():
        return _response(410, "The upload has expired.")
    return None


def _head(upload: TusUpload) -> HttpResponse:
    gone = _gone(upload)
    if gone is not None:
        return gone
    if upload.state == UploadState.ACTIVE and upload.complete and upload.concat != "partial":
        try:  # a crash after the last PATCH left it unfinished: finish it now
            finalize(upload)
        except InvalidUpload as exc:
            return _response(410, exc.message)
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    if upload.concat == "final":
        headers["Upload-Concat"] = "final;" + " ".join(
            reverse("forge_files:tus-upload", args=[p]) for p in upload.concat_parts
        )
    else:
        if upload.concat == "partial":
            headers["Upload-Concat"] = "partial"
        headers["Upload-Offset"] = str(upload.offset)
    if upload.concat == "final" and upload.complete:
        headers["Upload-Offset"] = str(upload.offset)
    if upload.length is not None:
        headers["Upload-Length"] = str(upload.length)
    else:
        headers["Upload-Defer-Length"] = "1"
    if upload.raw_metadata:
        headers["Upload-Metadata"] = upload.raw_metadata
    if upload.state == UploadState.ACTIVE:
        headers["Upload-Expires"] = http_date(upload.expires.timestamp())
    return _response(200, **headers)


def _patch(
    request: HttpRequest, user: Any, upload_id: uuid.UUID, creating: bool = False
) -> HttpResponse:
    if request.content_type != OFFSET_TYPE:
        return _response(415, f"PATCH needs Content-Type: {OFFSET_TYPE}.")
    try:
        offset = _int_header(request, "Upload-Offset")
        new_length = _int_header(request, "Upload-Length")
        declared = _int_header(request, "Content-Length")
    except ValueError as exc:
        return _response(400, str(exc))
    if creating:
        offset = 0
    if offset is None:
        return _response(400, "PATCH needs Upload-Offset.")
    checksum = None
    if request.headers.get("Upload-Checksum"):
        try:
            checksum = decode_checksum(request.headers["Upload-Checksum"])
        except ValueError as exc:
            return _response(400, str(exc))
    digest: Any = None
    try:
        with transaction.atomic():
            upload = (
                TusUpload.objects.select_for_update(nowait=True)
                .filter(pk=upload_id, **_owned(user))
                .first()
            )
            if upload is None:
                return _response(404, "No such upload.")
            gone = _gone(upload)
            if gone is not None:
                return gone
            if upload.concat == "final":
                return _response(403, "A final concatenated upload takes no PATCH.")
            if upload.offset != offset:
                return _response(
                    409,
                    f"Upload-Offset is {offset} but the server has {upload.offset}.",
                    Upload_Offset=str(upload.offset),
                )
            if new_length is not None:
                if upload.length is not None and new_length != upload.length:
                    return _response(400, "Upload-Length cannot change.")
                if new_length < upload.offset or new_length > app_settings.TUS_MAX_SIZE:
                    return _response(413, "Upload-Length is out of bounds.")
                if upload.length is None and user is not None:
                    check_quota(user, new_length)
                upload.length = new_length
            limit = (
                upload.length if upload.length is not None else app_settings.TUS_MAX_SIZE
            ) - upload.offset
            if declared is not None and declared > limit:
                return _response(
                    413, f"The body ({declared} bytes) is longer than the {limit} bytes left."
                )
            digest = digests.running.take(upload.pk, upload.offset)
            written, _broken = backend_for(upload.disk).write(
                upload, body_stream(request), limit, checksum, digest
            )
            upload.offset += written
            upload.expires = _expires()
            upload.save()
    except InvalidUpload as exc:
        return _response(413, exc.message)
    except ChecksumMismatch as exc:
        return _response(460, str(exc))
    except TooMuchData as exc:
        return _response(413, str(exc))
    except DatabaseError:
        return _response(423, "Another request is writing to this upload; retry.")
    if digest is not None:  # the new offset is recorded: the digest has seen exactly that
        digests.running.put(upload.pk, upload.offset, digest)
    headers = {
        "Upload-Offset": str(upload.offset),
        "Upload-Expires": http_date(upload.expires.timestamp()),
    }
    if upload.complete:
        try:
            finalize(upload)
        except InvalidUpload as exc:
            return _response(422, exc.message)
    return _response(204, **headers)
