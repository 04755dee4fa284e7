"""Direct-to-S3 browser uploads for Uppy's ``@uppy/aws-s3`` 5.x (Companion-style endpoint).

The browser sends the bytes to S3 with presigned URLs; Django only signs, lists and
completes. On completion the object is validated like any upload (ranged reads, never a
download to disk), recorded as a StoredFile, or deleted and refused.

Routes, under ``files/``: ``POST s3/multipart``, ``GET s3/multipart/<id>/<n>?key=``,
``GET s3/multipart/<id>?key=``, ``POST s3/multipart/<id>/complete?key=``,
``DELETE s3/multipart/<id>?key=`` and ``GET s3/params?filename=&type=``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from forge_suite.files.api import new_path, record, reject
from forge_suite.files.auth import AuthFailed, authenticate
from forge_suite.files.conf import app_settings
from forge_suite.files.disks import Disk, disk, is_s3, object_key, s3_client
from forge_suite.files.exceptions import InvalidUpload
from forge_suite.files.models import MultipartUpload
from forge_suite.files.tus.backends import RangeReader
from forge_suite.files.validation import UploadPolicy, sanitize_filename, validate

__all__ = ["multipart", "multipart_complete", "multipart_part", "multipart_upload", "params"]

EXPIRES = 900


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message, "message": message}, status=status)


def _context(request: HttpRequest) -> tuple[Any, Disk, Any, str] | JsonResponse:
    try:
        user = authenticate(request)
    except AuthFailed as exc:
        return _error(exc.status, exc.message)
    if user is None:
        return _error(401, "Log in or send a bearer token to upload.")
    target = disk()
    if not is_s3(target.storage):
        return _error(400, f"Direct uploads need an S3 disk; {target.alias!r} is not one.")
    client, bucket, _ = s3_client(target.storage)
    return user, target, client, bucket


def _owned(request: HttpRequest, user: Any, upload_id: str) -> MultipartUpload | None:
    return MultipartUpload.objects.filter(
        upload_id=upload_id, key=request.GET.get("key", ""), owner=user
    ).first()


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@csrf_exempt
def multipart(request: HttpRequest) -> JsonResponse:
    """``POST s3/multipart`` ``{filename, type, metadata}`` -> ``{key, uploadId}``."""
    if request.method != "POST":
        return _error(405, "Use POST.")
    ctx = _context(request)
    if isinstance(ctx, JsonResponse):
        return ctx
    user, target, client, bucket = ctx
    body = _json_body(request)
    name = sanitize_filename(str(body.get("filename") or "upload"))
    key = new_path(name)
    created = client.create_multipart_upload(Bucket=bucket, Key=object_key(target.storage, key))
    MultipartUpload.objects.create(
        upload_id=created["UploadId"], disk=target.alias, key=key, filename=name, owner=user
    )
    return JsonResponse({"key": key, "uploadId": created["UploadId"]})


@csrf_exempt
def multipart_part(request: HttpRequest, upload_id: str, part_number: int) -> JsonResponse:
    """``GET s3/multipart/<id>/<n>?key=`` -> ``{url, expires}`` (a presigned UploadPart)."""
    ctx = _context(request)
    if isinstance(ctx, JsonResponse):
        return ctx
    user, target, client, bucket = ctx
    if not 1 <= part_number <= 10_000:
        return _error(400, "partNumber must be between 1 and 10000.")
    upload = _owned(request, user, upload_id)
    if upload is None:
        return _error(404, "No such upload.")
    url = client.generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": bucket,
            "Key": object_key(target.storage, upload.key),
            "UploadId": upload_id,
            "PartNumber": part_number,
        },
        ExpiresIn=EXPIRES,
    )
    return JsonResponse({"url": url, "expires": EXPIRES})


def _list_parts(client: Any, bucket: str, key: str, upload_id: str) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    marker = 0
    while True:
        page = client.list_parts(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
        )
        parts += [
            {"PartNumber": p["PartNumber"], "Size": p["Size"], "ETag": p["ETag"]}
            for p in page.get("Parts", [])
        ]
        if not page.get("IsTruncated"):
            return parts
        marker = page["NextPartNumberMarker"]


@csrf_exempt
def multipart_upload(request: HttpRequest, upload_id: str) -> JsonResponse:
    """``GET`` lists the parts already in S3; ``DELETE`` aborts the upload."""
    ctx = _context(request)
    if isinstance(ctx, JsonResponse):
        return ctx
    user, target, client, bucket = ctx
    upload = _owned(request, user, upload_id)
    if upload is None:
        return _error(404, "No such upload.")
    key = object_key(target.storage, upload.key)
    if request.method == "GET":
        return JsonResponse(_list_parts(client, bucket, key, upload_id), safe=False)
    if request.method == "DELETE":
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        upload.delete()
        return JsonResponse({})
    return _error(405, "Use GET or DELETE.")


@csrf_exempt
def multipart_complete(request: HttpRequest, upload_id: str) -> JsonResponse:
    """``POST s3/multipart/<id>/complete?key=`` ``{parts}`` -> ``{location}``, once the object
    passed validation (else it is deleted and the answer is 422)."""
    if request.method != "POST":
        return _error(405, "Use POST.")
    ctx = _context(request)
    if isinstance(ctx, JsonResponse):
        return ctx
    user, target, client, bucket = ctx
    upload = _owned(request, user, upload_id)
    if upload is None:
        return _error(404, "No such upload.")
    parts = _json_body(request).get("parts")
    if (
        not isinstance(parts, list)
        or not parts
        or not all(
            isinstance(p, dict)
            and isinstance(p.get("PartNumber"), int)
            and 1 <= p["PartNumber"] <= 10_000
            and isinstance(p.get("ETag"), str)
            for p in parts
        )
    ):
        return _error(400, "parts must be a list of {PartNumber, ETag}.")
    key = object_key(target.storage, upload.key)
    client.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": sorted(
                ({"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts),
                key=lambda p: p["PartNumber"],
            )
        },
    )
    upload.delete()
    size = int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
    policy = UploadPolicy.default(max_size=int(app_settings.TUS_MAX_SIZE))
    try:
        with RangeReader(client, bucket, key, size) as reader:
            facts = validate(reader, upload.filename, policy, size=size)  # type: ignore[arg-type]
    except InvalidUpload as exc:
        client.delete_object(Bucket=bucket, Key=key)
        reject(exc, "s3-multipart")
        return _error(422, exc.message)
    digest = hashlib.sha256()
    for block in client.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(1024 * 1024):
        digest.update(block)
    stored = record(
        target,
        upload.key,
        facts,
        size=size,
        sha256=digest.hexdigest(),
        owner=user,
        source="s3-multipart",
    )
    return JsonResponse({"location": target.url(stored.path), "key": str(stored.key)})


@csrf_exempt
def params(request: HttpRequest) -> JsonResponse:
    """``GET s3/params?filename=&type=`` -> a presigned single PUT (small files).

    A single PUT has no completion call in Uppy, so the object is not validated or recorded
    here; use multipart (``shouldUseMultipart: true``) when uploads must become StoredFiles.
    """
    ctx = _context(request)
    if isinstance(ctx, JsonResponse):
        return ctx
    _user, target, client, bucket = ctx
    name = sanitize_filename(request.GET.get("filename", "upload"))
    content_type = request.GET.get("type") or "application/octet-stream"
    key = new_path(name, prefix="direct")
    url = client.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket,
            "Key": object_key(target.storage, key),
            "ContentType": content_type,
        },
        ExpiresIn=EXPIRES,
    )
    return JsonResponse(
        {
            "method": "PUT",
            "url": url,
            "fields": {},
            "headers": {"content-type": content_type},
            "key": key,
        }
    )
