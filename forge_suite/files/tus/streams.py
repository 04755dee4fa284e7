"""The parts every tus backend shares: copying a PATCH body (limits, checksum, running
digest), cutting it into parts that are sent while it streams, and the backend interface."""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any, Protocol

from forge_suite.files.conf import app_settings
from forge_suite.files.disks import Disk
from forge_suite.files.exceptions import FilesError
from forge_suite.files.models import TusUpload
from forge_suite.files.validation import temp_dir

__all__ = [
    "ALGORITHMS",
    "Backend",
    "Checksum",
    "ChecksumMismatch",
    "PartWriter",
    "TooMuchData",
    "copy_stream",
    "decode_checksum",
    "spool",
]

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
_pools: dict[int, ThreadPoolExecutor] = {}


def _hashing() -> ThreadPoolExecutor:
    """This process's hashing threads (made again in a forked child, where the parent's
    threads do not exist)."""
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        _pools.clear()
        pool = _pools.setdefault(
            pid, ThreadPoolExecutor(max_workers=4, thread_name_prefix="forge-tus-hash")
        )
    return pool


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
                pending = _hashing().submit(_update, hashers, block)
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


def spool() -> IO[bytes]:
    """A temporary file for one part, in the app's temporary directory."""
    return tempfile.TemporaryFile(prefix="forge-tus-", dir=temp_dir())


class PartStore(Protocol):
    parallel: int  # parts sent at once

    def start(self, upload: TusUpload) -> None: ...

    def send_part(
        self, upload: TusUpload, number: int, body: IO[bytes], size: int
    ) -> dict[str, Any]: ...


class PartWriter:
    """Where :func:`copy_stream` writes on a cloud disk: cuts a part each time
    ``TUS_PART_SIZE`` bytes have arrived and sends up to ``backend.parallel`` parts at once
    while the body keeps coming (each from its own temporary file), so a long PATCH holds a
    few parts on the app server's disk, never the upload, and the store works meanwhile."""

    def __init__(self, backend: PartStore, upload: TusUpload) -> None:
        self.backend, self.upload, self.spool = backend, upload, spool()
        self.parallel = max(1, backend.parallel)
        self.part_size = int(app_settings.TUS_PART_SIZE)
        self.number = len(upload.parts) + 1  # of the next part
        self.sent: list[dict[str, Any]] = []
        self._flight: list[tuple[Future[dict[str, Any]], IO[bytes]]] = []
        self._pool: ThreadPoolExecutor | None = None

    def write(self, block: bytes, /) -> None:
        view = memoryview(block)
        while view:  # parts of exactly part_size bytes
            room = self.part_size - self.spool.tell()
            self.spool.write(view[:room])
            view = view[room:]
            if self.spool.tell() >= self.part_size:
                self._cut()

    def _cut(self) -> None:
        full, size = self.spool, self.spool.tell()
        full.seek(0)
        self.backend.start(self.upload)  # e.g. the S3 multipart upload, made on this thread
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="forge-tus-parts")
        while len(self._flight) >= self.parallel:
            self._collect()
        sent = self._pool.submit(self.backend.send_part, self.upload, self.number, full, size)
        self._flight.append((sent, full))
        self.number += 1
        self.spool = spool()

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

    def finish(self, *, empty_part: bool = False) -> None:
        """Wait for every part, send what is left as the last one (an empty one too when
        ``empty_part`` and nothing was sent) and add them all to ``upload.parts``."""
        self.wait()
        size = self.spool.tell()
        if size or (empty_part and not self.sent):
            self.spool.seek(0)
            self.sent.append(self.backend.send_part(self.upload, self.number, self.spool, size))
        self.spool.close()
        self.upload.parts = [*self.upload.parts, *self.sent]

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:
            self.abandon()

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
