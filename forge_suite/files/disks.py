"""``disk("alias")``: a thin facade over a Django storage from ``STORAGES``.

Everything goes through the Storage API; only what it lacks is added: temporary URLs
(S3 presigned, GCS v4 signed, or a Django-signed URL served by this app for local disks),
server-side copy on S3, and rename on local disks.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.files.storage.handler import InvalidStorageError

from forge_suite.files.exceptions import UnknownDisk

__all__ = ["Disk", "content_disposition", "disk", "is_local", "is_s3", "s3_client"]


def disk(alias: str | None = None) -> Disk:
    """The disk named ``alias`` in ``STORAGES`` (default: ``FORGE["FILES"]["DISK"]``)."""
    if alias is None:
        from forge_suite.files.conf import app_settings

        alias = app_settings.DISK
    return Disk(alias)


def is_local(storage: Storage) -> bool:
    """True for storages whose files are on this machine's filesystem."""
    return isinstance(storage, FileSystemStorage)


def _instance_of(storage: Storage, module_name: str, class_name: str) -> bool:
    # An S3 or GCS storage object exists only once its module is imported: looking in
    # sys.modules avoids importing boto3 or google-cloud (20+ MB) into processes without them.
    module = sys.modules.get(module_name)
    return module is not None and isinstance(storage, getattr(module, class_name))


def is_s3(storage: Storage) -> bool:
    return _instance_of(storage, "storages.backends.s3", "S3Storage")


def is_gcs(storage: Storage) -> bool:
    return _instance_of(storage, "storages.backends.gcloud", "GoogleCloudStorage")


def s3_client(storage: Storage) -> tuple[Any, str, str]:
    """``(boto3 client, bucket name, key prefix)`` of an S3 storage.

    The client is made once per storage and process: boto3 clients are thread-safe, while the
    storage's own ``connection`` is a boto3 resource made again in every thread (a fresh one
    per request under a thread-per-request server, ~15 MB and milliseconds each)."""
    client = getattr(storage, "_forge_s3_client", None)
    if client is None:
        client = storage.connection.meta.client  # type: ignore[attr-defined]
        storage._forge_s3_client = client  # type: ignore[attr-defined]
    prefix = storage.location.strip("/")  # type: ignore[attr-defined]
    return client, storage.bucket_name, prefix  # type: ignore[attr-defined]


def object_key(storage: Storage, name: str) -> str:
    """The S3 key or GCS blob name of ``name`` on a cloud storage (its location prefixed)."""
    from storages.utils import clean_name

    return str(storage._normalize_name(clean_name(name)))  # type: ignore[attr-defined]


def content_disposition(filename: str | None, inline: bool = False) -> str:
    """A ``Content-Disposition`` value with an ASCII fallback and the RFC 5987 UTF-8 name."""
    kind = "inline" if inline else "attachment"
    if not filename:
        return kind
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _seconds(expires: int | float | dt.timedelta | None) -> int:
    from forge_suite.files.conf import app_settings

    if expires is None:
        return int(app_settings.TEMPORARY_URL_EXPIRY)
    if isinstance(expires, dt.timedelta):
        return int(expires.total_seconds())
    return int(expires)


class Disk:
    """One storage alias with Laravel-style helpers; ``.storage`` is the Django storage."""

    def __init__(self, alias: str) -> None:
        try:
            self.storage: Storage = storages[alias]
        except InvalidStorageError:
            raise UnknownDisk(
                f"No disk {alias!r}: add it to STORAGES (known: {', '.join(storages.backends)})"
            ) from None
        self.alias = alias

    def __repr__(self) -> str:
        return f"<Disk {self.alias} {type(self.storage).__name__}>"

    @property
    def local(self) -> bool:
        return is_local(self.storage)

    def put(self, path: str, content: bytes | str | IO[bytes] | File[Any]) -> str:
        """Write ``content`` at ``path`` (replacing it) and return the stored name."""
        if isinstance(content, str):
            content = content.encode()
        if isinstance(content, bytes):
            content = ContentFile(content)
        elif not isinstance(content, File):
            content = File(content)
        if self.storage.exists(path):
            self.storage.delete(path)
        return self.storage.save(path, content)

    def put_file(self, path: str, local_path: str | os.PathLike[str]) -> str:
        """Copy the local file ``local_path`` to ``path`` on this disk (streamed)."""
        if self.local:
            target = Path(self.storage.path(path))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_path, target)
            return path
        with open(local_path, "rb") as fh:
            return self.put(path, File(fh))

    def open(self, path: str, mode: str = "rb") -> File[Any]:
        """A file object on ``path``; S3/GCS read lazily in chunks."""
        return self.storage.open(path, mode)

    def stream(self, path: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        with self.open(path) as fh:
            while chunk := fh.read(chunk_size):
                yield chunk

    def get(self, path: str) -> bytes:
        """The whole content of ``path`` (only for small files)."""
        with self.open(path) as fh:
            return bytes(fh.read())

    def exists(self, path: str) -> bool:
        return bool(self.storage.exists(path))

    def size(self, path: str) -> int:
        return int(self.storage.size(path))

    def delete(self, path: str) -> None:
        self.storage.delete(path)

    def url(self, path: str) -> str:
        """The public URL of ``path`` (the CDN custom domain when one is configured)."""
        return str(self.storage.url(path))

    def copy(self, source: str, target: str) -> str:
        """Copy ``source`` to ``target`` on this disk; server-side on S3."""
        if is_s3(self.storage):
            client, bucket, _ = s3_client(self.storage)
            client.copy(
                {"Bucket": bucket, "Key": object_key(self.storage, source)},
                bucket,
                object_key(self.storage, target),
            )
            return target
        if self.local:
            return self.put_file(target, self.storage.path(source))
        with self.open(source) as fh:
            return self.put(target, fh)

    def move(self, source: str, target: str) -> str:
        """Move ``source`` to ``target``; a rename on local disks."""
        if self.local:
            dest = Path(self.storage.path(target))
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.storage.path(source), dest)
            return target
        self.copy(source, target)
        self.delete(source)
        return target

    def temporary_url(
        self,
        path: str,
        expires: int | float | dt.timedelta | None = None,
        *,
        filename: str | None = None,
        inline: bool = False,
        content_type: str | None = None,
    ) -> str:
        """A URL that reads ``path`` for ``expires`` seconds, then stops working.

        S3: a presigned GET (``response-content-disposition`` set when ``filename`` is given);
        GCS: a v4 signed URL; local disks: a URL of this app's view signed with Django's
        signing, bound to the disk and the path.
        """
        seconds = _seconds(expires)
        disposition = content_disposition(filename, inline) if filename else None
        if is_s3(self.storage):
            client, bucket, _ = s3_client(self.storage)
            params: dict[str, Any] = {"Bucket": bucket, "Key": object_key(self.storage, path)}
            if disposition:
                params["ResponseContentDisposition"] = disposition
            if content_type:
                params["ResponseContentType"] = content_type
            return str(
                client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
            )
        if is_gcs(self.storage):
            bucket = self.storage.bucket  # type: ignore[attr-defined]
            blob = bucket.blob(object_key(self.storage, path))
            extra: dict[str, Any] = {}
            if disposition:
                extra["response_disposition"] = disposition
            if content_type:
                extra["response_type"] = content_type
            return str(
                blob.generate_signed_url(
                    expiration=dt.timedelta(seconds=seconds), version="v4", **extra
                )
            )
        from django.urls import reverse

        from forge_suite.files.signing import sign_path

        token = sign_path(self.alias, path, seconds, filename=filename, inline=inline)
        return reverse("forge_files:temporary", kwargs={"token": token})
