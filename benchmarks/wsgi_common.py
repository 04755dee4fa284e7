"""Shared piece of the in-process HTTP benchmarks: a WSGI environ for a GET request, so that
a Django ``WSGIHandler`` is called the way a WSGI server calls it."""

from __future__ import annotations

import io
import sys


def get_environ(path: str, extra: dict[str, str] | None = None) -> dict[str, object]:
    """The environ of ``GET path`` (a query string after ``?``) from 127.0.0.1 asking JSON."""
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        **(extra or {}),
    }
