"""Where tus bytes go: a staging file on a local disk, or S3 multipart parts (as tusd does).

Both keep every fact in the ``TusUpload`` row; the bytes past the recorded offset that a
crash may leave behind are overwritten by the next PATCH, so any process can continue.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, Protocol

from forge_suite.files.conf import app_settings
from forge_suite.files.disks import Disk, disk, is_local, is_s3, s3_client, s3_key
from forge_suite.files.exceptions import FilesError
from forge_suite.files.models import TusUpload
from forge_suite.files.paths import new_path
from forge_suite.files.validation import sanitize_filename, temp_dir

__all__ = ["Backend", "ChecksumMismatch", "TooMuchData", "backend_for", "copy_stream"]

CHUNK = 256 * 1024
ALGORITHMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class ChecksumMismatch(FilesError):
    """The chunk's ``Upload-Checksum`` does not match what arrived (tus 460)."""


class TooMuchData(FilesError):
    """The body is longer than the upload's remaining length (413)."""


@dataclass
class Checksum:
    algorithm: str
    expected: bytes

    def hasher(self) -> Any:
        return ALGORITHMS[self.algorithm]()


# Hashing releases the GIL: a block is hashed on one of these threads while the request's
# thread writes it and reads the next, so a checksum or the running digest costs little time.
_HASHING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="forge-tus-hash")


def _update(hashers: list[Any], block: bytes) -> None:
    for hasher in hashers:
        hasher.update(block)


def copy_stream(
    source: Any, out: Sink, limit: int, checksum: Checksum | None, digest: Any = None
) -> tuple[int, bool]:
    """Copy at most ``limit`` bytes; ``(bytes copied, body broken)``. More than ``limit``
    raises :class:`TooMuchData`; a wrong checksum raises :class:`ChecksumMismatch`. The bytes
    copied also go to ``digest`` (the upload's running SHA-256), when given."""
    hasher = checksum.hasher() if checksum else None
    hashers = [h for h in (hasher, digest) if h is not None]
    copied = 0
    broken = False
    pending: Future[None] | None = None
    try:
        while True:
            try:
                block = source.read(min(CHUNK, limit - copied + 1))
            except Exception:  # client went away: keep what arrived (tus core)
                broken = True
                break
            if not block:
                break
            copied += len(block)
            if copied > limit:
                raise TooMuchData(f"The body is longer than the {limit} bytes left in this upload.")
            if hashers:
                if pending is not None:
                    pending.result()  # in order, one block at a time
                pending = _HASHING.submit(_update, hashers, block)
            out.write(block)
    finally:
        if pending is not None:
            pending.result()
    if hasher is not None and (broken or hasher.digest() != checksum.expected):  # type: ignore[union-attr]
        raise ChecksumMismatch("Upload-Checksum does not match the body.")
    return copied, broken


class Backend:
    """Receives the bytes of one upload."""

    def __init__(self, target: Disk) -> None:
        self.disk = target

    def object_path(self, upload: TusUpload) -> str:
        """Where the upload's bytes are written (``upload.path``)."""
        return upload.staging_path

    def create(self, upload: TusUpload) -> None:
        raise NotImplementedError

    def write(
        self,
        upload: TusUpload,
        source: Any,
        limit: int,
        checksum: Checksum | None,
        digest: Any = None,
    ) -> tuple[int, bool]:
        """Append the body at ``upload.offset``; returns ``(bytes kept, body broken)``. The
        bytes kept also go to ``digest`` when given."""
        raise NotImplementedError

    def finish(self, upload: TusUpload) -> None:
        """All bytes are in: make ``upload.path`` one whole object on the disk."""

    def append_from(self, upload: TusUpload, partials: list[TusUpload]) -> None:
        """Build a final upload's data from complete partial uploads (concatenation)."""
        raise NotImplementedError

    def terminate(self, upload: TusUpload) -> None:
        """Forget every byte of ``upload`` (staging data, S3 parts)."""
        raise NotImplementedError


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


class S3Backend(Backend):
    """Each PATCH ends in S3: a multipart part once ``TUS_PART_SIZE`` bytes are gathered,
    else the ``.part`` object that the next PATCH prepends. The app server keeps at most
    one part in a temporary file, never the upload."""

    def __init__(self, target: Disk) -> None:
        super().__init__(target)
        self.client, self.bucket, _ = s3_client(target.storage)

    def key(self, name: str) -> str:
        return s3_key(self.disk.storage, name)

    def object_path(self, upload: TusUpload) -> str:
        # Written where it will stay: no copy of a large object after validation.
        if upload.concat == "partial":
            return upload.staging_path
        name = sanitize_filename(str(upload.metadata.get("filename") or "upload"))
        return new_path(name)

    def create(self, upload: TusUpload) -> None:
        pass  # the multipart upload starts with the first part

    def _spool(self) -> IO[bytes]:
        return tempfile.TemporaryFile(prefix="forge-tus-", dir=temp_dir())

    def write(
        self,
        upload: TusUpload,
        source: Any,
        limit: int,
        checksum: Checksum | None,
        digest: Any = None,
    ) -> tuple[int, bool]:
        out = _PartWriter(self, upload, self._spool())
        try:
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
        except BaseException:
            out.abandon()
            raise
        final = upload.length is not None and upload.offset + copied >= upload.length
        rest, cut = out.spool, bool(out.sent)
        try:
            total = rest.tell()
            rest.seek(0)
            if final and (total or not (upload.parts or out.sent)):
                out.sent.append(self._send_part(upload, out.number, rest, total))
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

    def _start(self, upload: TusUpload) -> None:
        if not upload.multipart_id:
            created = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key(upload.path)
            )
            upload.multipart_id = created["UploadId"]

    def _send_part(
        self, upload: TusUpload, number: int, body: IO[bytes], size: int
    ) -> dict[str, Any]:
        self._start(upload)
        answer = self.client.upload_part(
            Bucket=self.bucket,
            Key=self.key(upload.path),
            UploadId=upload.multipart_id,
            PartNumber=number,
            Body=body,
            ContentLength=size,
        )
        return {"n": number, "etag": answer["ETag"], "size": size}

    def _upload_part(self, upload: TusUpload, body: IO[bytes], size: int) -> None:
        number = len(upload.parts) + 1
        upload.parts = [*upload.parts, self._send_part(upload, number, body, size)]

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
        spool = self._spool()
        try:
            for part in partials:
                body = self.client.get_object(Bucket=self.bucket, Key=self.key(part.path))["Body"]
                for block in body.iter_chunks(CHUNK):
                    spool.write(block)
                    if spool.tell() >= app_settings.TUS_PART_SIZE:
                        size = spool.tell()
                        spool.seek(0)
                        self._upload_part(upload, spool, size)
                        spool.close()
                        spool = self._spool()
            size = spool.tell()
            if size or not upload.parts:
                spool.seek(0)
                self._upload_part(upload, spool, size)
        finally:
            spool.close()
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


class _PartWriter:
    """Where :func:`copy_stream` writes on an S3 disk: cuts a multipart part each time
    ``TUS_PART_SIZE`` bytes have arrived and sends up to ``PARALLEL`` parts at once while the
    body keeps coming (each from its own temporary file), so a long PATCH holds a few parts on
    the app server's disk, never the upload, and S3 works while the client sends."""

    PARALLEL = 3

    def __init__(self, backend: S3Backend, upload: TusUpload, spool: IO[bytes]) -> None:
        self.backend, self.upload, self.spool = backend, upload, spool
        self.part_size = int(app_settings.TUS_PART_SIZE)
        self.number = len(upload.parts) + 1  # of the next part
        self.sent: list[dict[str, Any]] = []
        self._flight: list[tuple[Future[dict[str, Any]], IO[bytes]]] = []
        self._pool: ThreadPoolExecutor | None = None

    def write(self, block: bytes, /) -> None:
        self.spool.write(block)
        if self.spool.tell() >= self.part_size:
            self._cut()

    def _cut(self) -> None:
        spool, size = self.spool, self.spool.tell()
        spool.seek(0)
        self.backend._start(self.upload)  # the multipart upload is created on this thread
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.PARALLEL, thread_name_prefix="forge-tus-s3")
        while len(self._flight) >= self.PARALLEL:
            self._collect()
        sent = self._pool.submit(self.backend._send_part, self.upload, self.number, spool, size)
        self._flight.append((sent, spool))
        self.number += 1
        self.spool = self.backend._spool()

    def _collect(self) -> None:
        sent, spool = self._flight.pop(0)
        try:
            self.sent.append(sent.result())
        finally:
            spool.close()

    def wait(self) -> None:
        """Every part cut so far is in S3 (in ``sent``, in order); raises a part's error."""
        try:
            while self._flight:
                self._collect()
        finally:
            if self._pool is not None:
                self._pool.shutdown()

    def abandon(self) -> None:
        """The PATCH failed: stop sending and drop every temporary file."""
        for sent, _spool in self._flight:
            sent.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for _sent, spool in self._flight:
            spool.close()
        self._flight.clear()
        self.spool.close()


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
    raise FilesError(
        f"tus uploads need a local or S3 disk; {alias!r} is {type(target.storage).__name__}."
    )


def decode_checksum(header: str) -> Checksum:
    """Parse ``Upload-Checksum: sha1 <base64>``; ValueError when malformed or unsupported."""
    try:
        algorithm, value = header.strip().split(" ", 1)
        expected = base64.b64decode(value.strip(), validate=True)
    except ValueError:
        raise ValueError("Upload-Checksum must be '<algorithm> <base64 digest>'.") from None
    if algorithm not in ALGORITHMS:
        raise ValueError(f"Unsupported checksum algorithm {algorithm!r}.")
    return Checksum(algorithm, expected)
