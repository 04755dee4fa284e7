"""The request id of the work being done now (an HTTP request, a WebSocket, a Celery job).

Kept in a :class:`contextvars.ContextVar`, so it follows threads started through asgiref,
asyncio tasks and the code a view calls, and is set again from task headers in workers.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = [
    "bind_request_id",
    "generate_request_id",
    "get_request_id",
    "valid_request_id",
]

_request_id: ContextVar[str | None] = ContextVar("forge_request_id", default=None)

# Letters, digits and the separators proxies and tracing tools use; nothing that could break
# a log line, a header or a query (no spaces, quotes, control characters).
_ALLOWED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]*")


def get_request_id() -> str | None:
    """The current request id, or None outside a request or job."""
    return _request_id.get()


def generate_request_id() -> str:
    """A fresh random request id (32 hex characters)."""
    return uuid.uuid4().hex


def valid_request_id(value: str | None, max_length: int = 128) -> bool:
    """True when ``value`` is safe to reuse as a request id (length and characters)."""
    return bool(value) and len(value or "") <= max_length and bool(_ALLOWED.fullmatch(value or ""))


@contextlib.contextmanager
def bind_request_id(request_id: str | None) -> Iterator[str | None]:
    """Make ``request_id`` current inside the block (None clears it) and restore afterwards."""
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


def set_request_id(request_id: str | None) -> object:
    """Set the current id and return a token for :func:`reset_request_id`."""
    return _request_id.set(request_id)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]
