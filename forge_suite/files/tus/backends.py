"""Where tus bytes go: a staging file on a local disk, S3 multipart parts (as tusd's s3store
does) or GCS objects composed at the end (as tusd's gcsstore does).

Each keeps every fact in the ``TusUpload`` row; the bytes past the recorded offset that a
crash may leave behind are overwritten by the next PATCH, so any process can continue.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import IO, Any

from forge_suite.files.disks import Disk, disk, is_gcs, is_local, is_s3, object_key, s3_client
from forge_suite.files.exceptions import FilesError
from forge_suite.files.models import TusUpload
from forge_suite.files.paths import new_path
from forge_suite.files.tus.gcs import GCSBackend, open_gcs
from forge_suite.files.tus.streams import (
    ALGORITHMS,
    CHUNK,
    Backend,
    Checksum,
    ChecksumMismatch,
    PartWriter,
    TooMuchData,
    copy_stream,
    decode_checksum,
)
from forge_suite.files.validation import sanitize_filename

__all__ = [
    "ALGORITHMS",
    "Backend",
    "ChecksumMismatch",
    "TooMuchData",
    "backend_for",
    "copy_stream",
    "decode_checksum",
    "open_staged",
]


class LocalBackend(Backend):
    def _path(self, upload: TusUpload) -> str:
        return str(self.disk.storage.path(upload.staging_path))

    def create(self, upload: TusUpload) -> None:
        path = self._path(upload)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").close()

    def write(
        self,
        upload: TusUpload,
        source: Any,
        limit: int,
        checksum: Checksum | None,
        digest: Any = None,
    ) -> tuple[int, bool]:
        with open(self._path(upload), "r+b") as out:
            out.seek(upload.offset)
            out.truncate()  # bytes past the recorded offset were never acknowledged
            try:
                return copy_stream(source, out, limit, checksum, digest)
            except (ChecksumMismatch, TooMuchData):
                out.seek(upload.offset)
                out.truncate()
                raise

    def append_from(self, upload: TusUpload, partials: list[TusUpload]) -> None:
        with open(self._path(upload), "wb") as out:
            for part in partials:
                with open(self._path(part), "rb") as fh:
                    while block := fh.read(CHUNK):
                        out.write(block)

    def terminate(self, upload: TusUpload) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(upload))


MAX_PARTS = 10_000  # of an S3 multipart upload


class S3Backend(Backend):
    """Each PATCH ends in S3: a multipart part once ``TUS_PART_SIZE`` bytes are gathered,
    else the ``.part`` object that the next PATCH prepends. The app server keeps at most
    one part in a temporary file, never the upload."""

    parallel = 3  # boto3 clients are thread-safe: three parts in flight

    def __init__(self, target: Disk) -> None:
        super().__init__(target)
        self.client, self.bucket, _ = s3_client(target.storage)

    def key(self, name: str) -> str:
        return object_key(self.disk.storage, name)

    def object_path(self, upload: TusUpload) -> str:
        # Written where it will stay: no copy of a large object after validation.
        if upload.concat == "partial":
            return upload.staging_path
        name = sanitize_filename(str(upload.metadata.get("filename") or "upload"))
        return new_path(name)

    def create(self, upload: TusUpload) -> None:
        pass  # the multipart upload starts with the first part

    def write(
        self,
        upload: TusUpload,
        source: Any,
        limit: int,
        checksum: Checksum | None,
        digest: Any = None,
    ) -> tuple[int, bool]:
        with PartWriter(self, upload) as out:
            if upload.pending_size:  # the bytes short of a part that the last PATCH left
                body = self.client.get_object(
                    Bucket=self.bucket, Key=self.key(upload.pending_path)
                )["Body"]
                received = 0
                for block in body.iter_chunks(CHUNK):
                    block = block[: upload.pending_size - received]
                    received += len(block)
                    out.write(block)
            copied, broken = copy_stream(source, out, limit, checksum, digest)
            out.wait()
        final = upload.length is not None and upload.offset + copied >= upload.length
        rest, cut = out.spool, bool(out.sent)
        try:
            total = rest.tell()
            rest.seek(0)
            if final and (total or not (upload.parts or out.sent)):
                out.sent.append(self.send_part(upload, out.number, rest, total))
            elif total and (cut or total != upload.pending_size):
                self.client.put_object(
                    Bucket=self.bucket, Key=self.key(upload.pending_path), Body=rest
                )
        finally:
            rest.close()
        upload.parts = [*upload.parts, *out.sent]
        keep = 0 if final else total
        if upload.pending_size and not keep:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(upload.pending_path))
        upload.pending_size = keep
        return copied, broken

    def start(self, upload: TusUpload) -> None:
        if not upload.multipart_id:
            created = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key(upload.path)
            )
            upload.multipart_id = created["UploadId"]

    def send_part(
        self, upload: TusUpload, number: int, body: IO[bytes], size: int
    ) -> dict[str, Any]:
        if number > MAX_PARTS:
            raise TooMuchData(f"S3 takes at most {MAX_PARTS} parts per upload: send larger chunks.")
        self.start(upload)
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key(upload.path),
            UploadId=upload.multipart_id,
            PartNumber=number,
            Body=body,
            ContentLength=size,
        )
        return {"n": number, "etag": answer["ETag"], "size": size}

    def finish(self, upload: TusUpload) -> None:
        if not upload.multipart_id:
            if upload.length == 0:
                self.client.put_object(Bucket=self.bucket, Key=self.key(upload.path), Body=b"")
            return
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key(upload.path),
            UploadId=upload.multipart_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": p["n"], "ETag": p["etag"]}
                    for p in sorted(upload.parts, key=lambda p: p["n"])
                ]
            },
        )
        upload.multipart_id = ""

    def append_from(self, upload: TusUpload, partials: list[TusUpload]) -> None:
        # Stream every partial through part-sized spools: works whatever the partials'
        # sizes (UploadPartCopy would need each but the last to be >= 5 MiB).
        with PartWriter(self, upload) as out:
            for part in partials:
                body = self.client.get_object(Bucket=self.bucket, Key=self.key(part.path))["Body"]
                for block in body.iter_chunks(CHUNK):
                    out.write(block)
            out.finish(empty_part=True)
        self.finish(upload)

    def terminate(self, upload: TusUpload) -> None:
        if upload.multipart_id:
            with contextlib.suppress(self.client.exceptions.NoSuchUpload):
                self.client.abort_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key(upload.path),
                    UploadId=upload.multipart_id,
                )
        for name in (upload.pending_path, upload.path):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))


class RangeReader:
    """A seekable read-only file over an S3 object using ranged GETs (for validation)."""

    def __init__(
        self, client: Any, bucket: str, key: str, size: int, block: int = 256 * 1024
    ) -> None:
        self.client, self.bucket, self.key, self.size, self.block = client, bucket, key, size, block
        self.pos = 0
        self._buf_start = 0
        self._buf = b""

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, self.size - self.pos)
        if n <= 0:
            return b""
        end = self._buf_start + len(self._buf)
        if not (self._buf_start <= self.pos and self.pos + n <= end):
            length = max(n, self.block)
            last = min(self.size, self.pos + length) - 1
            self._buf = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={self.pos}-{last}"
            )["Body"].read()
            self._buf_start = self.pos
        start = self.pos - self._buf_start
        data = self._buf[start : start + n]
        self.pos += len(data)
        return data

    def close(self) -> None:
        self._buf = b""

    def __enter__(self) -> RangeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_staged(upload: TusUpload) -> tuple[IO[bytes] | RangeReader, Callable[[], Iterator[bytes]]]:
    """``(seekable reader, chunk iterator)`` over a finished upload's bytes."""
    target = disk(upload.disk)
    if is_gcs(target.storage):
        return open_gcs(target, upload)
    if is_s3(target.storage):
        backend = S3Backend(target)
        key = backend.key(upload.path)

        def chunks() -> Iterator[bytes]:
            body = backend.client.get_object(Bucket=backend.bucket, Key=key)["Body"]
            yield from body.iter_chunks(1024 * 1024)

        return RangeReader(backend.client, backend.bucket, key, int(upload.length or 0)), chunks
    path = target.storage.path(upload.staging_path)

    def local_chunks() -> Iterator[bytes]:
        with open(path, "rb") as fh:
            while block := fh.read(1024 * 1024):
                yield block

    return open(path, "rb"), local_chunks


def backend_for(alias: str) -> Backend:
    """The backend of disk ``alias``; local and S3 disks are supported."""
    target = disk(alias)
    if is_local(target.storage):
        return LocalBackend(target)
    if is_s3(target.storage):
        return S3Backend(target)
    if is_gcs(target.storage):
        return GCSBackend(target)
    raise FilesError(
        f"tus uploads need a local, S3 or GCS disk; {alias!r} is {type(target.storage).__name__}."
    )
