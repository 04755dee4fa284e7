"""tus on a GCS disk, as tusd's gcsstore does it: every part of a PATCH becomes an object of
its own beside the upload, and when all bytes are in they are composed (32 at a time, GCS's
limit) into the final object, then deleted. GCS composes objects of any size, so unlike S3
no bytes wait for the next PATCH, and concatenation composes the partial uploads' objects
without their bytes passing through the app server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import IO, Any

from forge_suite.files.disks import Disk, object_key
from forge_suite.files.models import TusUpload
from forge_suite.files.paths import new_path
from forge_suite.files.tus.streams import Backend, Checksum, PartWriter, TooMuchData, copy_stream
from forge_suite.files.validation import sanitize_filename

__all__ = ["GCSBackend", "open_gcs"]

COMPOSE_LIMIT = 32  # source objects per compose request
MAX_PARTS = 1024  # components of one composite object
READ_BLOCK = 1024 * 1024


def _not_found() -> type[Exception]:
    from google.api_core.exceptions import NotFound

    return NotFound


class GCSBackend(Backend):
    parallel = 1  # google-cloud-storage clients are not meant to be shared by many threads

    def __init__(self, target: Disk) -> None:
        super().__init__(target)
        self.bucket = target.storage.bucket  # type: ignore[attr-defined]

    def blob(self, name: str) -> Any:
        return self.bucket.blob(object_key(self.disk.storage, name))

    def object_path(self, upload: TusUpload) -> str:
        # Composed where it will stay: no copy of a large object after validation.
        if upload.concat == "partial":
            return upload.staging_path
        name = sanitize_filename(str(upload.metadata.get("filename") or "upload"))
        return new_path(name)

    def part_name(self, upload: TusUpload, number: int) -> str:
        return f"{upload.staging_path}.{number:05d}"

    def create(self, upload: TusUpload) -> None:
        pass  # the first part is the first object

    def start(self, upload: TusUpload) -> None:
        pass

    def send_part(
        self, upload: TusUpload, number: int, body: IO[bytes], size: int
    ) -> dict[str, Any]:
        if number > MAX_PARTS:
            raise TooMuchData(
                f"GCS composes at most {MAX_PARTS} parts into one file: send larger chunks."
            )
        name = self.part_name(upload, number)
        self.blob(name).upload_from_file(body, size=size)
        return {"n": number, "size": size, "name": name}

    def write(
        self,
        upload: TusUpload,
        source: Any,
        limit: int,
        checksum: Checksum | None,
        digest: Any = None,
    ) -> tuple[int, bool]:
        with PartWriter(self, upload) as out:
            copied, broken = copy_stream(source, out, limit, checksum, digest)
            out.finish()  # what is left becomes a (smaller) part at once
        return copied, broken

    def _compose(self, upload: TusUpload, target: str, names: list[str]) -> None:
        """Compose ``names`` in order into ``target``, through intermediate objects when
        there are more than GCS takes in one request; the intermediates are deleted."""
        made: list[str] = []
        level = 0
        while len(names) > COMPOSE_LIMIT:
            grouped = []
            for start in range(0, len(names), COMPOSE_LIMIT):
                group = names[start : start + COMPOSE_LIMIT]
                name = f"{upload.staging_path}.compose-{level}-{start // COMPOSE_LIMIT}"
                self.blob(name).compose([self.blob(n) for n in group])
                grouped.append(name)
                made.append(name)
            names, level = grouped, level + 1
        self.blob(target).compose([self.blob(n) for n in names])
        self._delete(made)

    def _delete(self, names: list[str]) -> None:
        for name in names:
            with contextlib.suppress(_not_found()):
                self.blob(name).delete()

    def finish(self, upload: TusUpload) -> None:
        if not upload.parts:
            if upload.length == 0:
                self.blob(upload.path).upload_from_string(b"")
            return
        names = [p["name"] for p in sorted(upload.parts, key=lambda p: p["n"])]
        done = self.bucket.get_blob(object_key(self.disk.storage, upload.path))
        if done is None or done.size != upload.length:  # not composed before a crash
            self._compose(upload, upload.path, names)
        self._delete(names)
        upload.parts = []

    def append_from(self, upload: TusUpload, partials: list[TusUpload]) -> None:
        self._compose(upload, upload.path, [p.path for p in partials])

    def terminate(self, upload: TusUpload) -> None:
        self._delete([p["name"] for p in upload.parts])
        self._delete([upload.path])


def open_gcs(target: Disk, upload: TusUpload) -> tuple[IO[bytes], Callable[[], Iterator[bytes]]]:
    """``(seekable reader, chunk iterator)`` over a finished upload's object (ranged reads)."""
    blob = GCSBackend(target).blob(upload.path)

    def chunks() -> Iterator[bytes]:
        with blob.open("rb", chunk_size=READ_BLOCK) as fh:
            while block := fh.read(READ_BLOCK):
                yield block

    return blob.open("rb", chunk_size=256 * 1024), chunks
