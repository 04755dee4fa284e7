"""Sending a file from a local disk: ``Range``, ``ETag``/``If-None-Match``, X-Accel/X-Sendfile."""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from typing import IO, Literal

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import http_date

from forge_suite.files.conf import app_settings
from forge_suite.files.disks import Disk, content_disposition

__all__ = ["parse_range", "serve_local"]

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, size: int) -> tuple[int, int] | Literal[False] | None:
    """``(start, end)`` (inclusive) of a single-range header; None to send the whole file
    (absent, malformed or multi-range), False when unsatisfiable (416)."""
    match = _RANGE.match(header.strip()) if header else None
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size:
        return False
    if start > end:
        return None
    return start, min(end, size - 1)


def _chunks(fh: IO[bytes], remaining: int) -> Iterator[bytes]:
    try:
        while remaining > 0:
            block = fh.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        fh.close()


def serve_local(
    request: HttpRequest,
    disk: Disk,
    path: str,
    *,
    filename: str | None = None,
    inline: bool = False,
    content_type: str | None = None,
) -> HttpResponseBase:
    """Answer ``request`` with ``path`` of a local disk (conditional and range requests)."""
    full = disk.storage.path(path)
    try:
        stat = os.stat(full)
    except FileNotFoundError:
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    size = stat.st_size
    etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
    ctype = content_type or mimetypes.guess_type(path)[0] or "application/octet-stream"
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(stat.st_mtime),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": content_disposition(filename, inline),
        "Cache-Control": "private, max-age=0",
    }
    inm = request.headers.get("If-None-Match", "")
    if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
        return HttpResponse(status=304, headers=headers)
    mode = app_settings.SERVE_ACCEL
    if mode:
        response = HttpResponse(content_type=ctype, headers=headers)
        if mode == "x-accel-redirect":
            response["X-Accel-Redirect"] = app_settings.ACCEL_PREFIX.rstrip("/") + "/" + path
        else:
            response["X-Sendfile"] = full
        return response
    wanted = parse_range(request.headers.get("Range", ""), size)
    if_range = request.headers.get("If-Range")
    if wanted is not None and if_range and if_range.strip() != etag:
        wanted = None  # the client's copy is stale: send it all
    if wanted is False:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    fh = open(full, "rb")  # noqa: SIM115 - closed by the streaming generator
    if wanted is None:
        whole = StreamingHttpResponse(_chunks(fh, size), content_type=ctype, headers=headers)
        whole["Content-Length"] = str(size)
        return whole
    start, end = wanted
    fh.seek(start)
    partial = StreamingHttpResponse(
        _chunks(fh, end - start + 1), status=206, content_type=ctype, headers=headers
    )
    partial["Content-Length"] = str(end - start + 1)
    partial["Content-Range"] = f"bytes {start}-{end}/{size}"
    return partial
