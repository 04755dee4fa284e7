"""A Django upload handler that always streams to a temporary file and stops at a size limit."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

__all__ = ["LimitedUploadHandler"]


class LimitedUploadHandler(FileUploadHandler):
    """Like Django's TemporaryFileUploadHandler for every size (nothing kept in memory),
    and refusing mid-stream once ``max_size`` bytes arrived (``exceeded`` is then True)."""

    def __init__(self, request: Any = None, *, max_size: int) -> None:
        super().__init__(request)
        self.max_size = max_size
        self.received = 0
        self.exceeded = False
        self.file: TemporaryUploadedFile | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = TemporaryUploadedFile(
            self.file_name or "upload", self.content_type, 0, self.charset, self.content_type_extra
        )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.max_size:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        if self.file is not None and not self.exceeded:
            self.file.write(raw_data)

    def file_complete(self, file_size: int) -> TemporaryUploadedFile | None:
        if self.file is None or self.exceeded:
            return None
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        if self.file is not None:
            self.file.close()  # a TemporaryUploadedFile is deleted on close
