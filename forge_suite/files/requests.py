"""Request bodies as streams, including chunked ones a WSGI server hands over unsized."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

__all__ = ["body_stream"]


def body_stream(request: HttpRequest) -> Any:
    """Something with ``read(n)`` over the body, never read whole into memory.

    Django's WSGI request reads nothing without ``Content-Length``; servers that decode
    ``Transfer-Encoding: chunked`` set ``wsgi.input_terminated`` and the raw input is safe
    to read to its end.
    """
    environ = getattr(request, "environ", {})
    if not request.META.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
        return environ["wsgi.input"]
    return request
