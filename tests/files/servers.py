"""Launchers for the files tests: moto's S3 server and the test project under a WSGI server."""

from __future__ import annotations

import json
import sys
from typing import Any

from tests.support.servers import ServerProcess, free_port

__all__ = ["django_server", "moto_server"]


def moto_server(bucket_cors: bool = False) -> ServerProcess:
    """moto's S3 server; with ``bucket_cors`` it answers browsers only as a bucket's CORS rules
    allow (as real S3 does) instead of allowing every origin."""
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    env = {"MOTO_DISABLE_GLOBAL_CORS": "true"} if bucket_cors else None
    return ServerProcess("", env, command=command, port=port, name="moto")


def django_server(
    db_name: str,
    storages: dict[str, Any],
    files: dict[str, Any],
    env: dict[str, str] | None = None,
) -> ServerProcess:
    """The test project under a threaded WSGI server (werkzeug), which passes chunked bodies
    through as a stream, on the test database; it can be SIGKILLed and restarted on its port."""
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.files.server_settings",
        "FORGE_FILES_DB_NAME": db_name,
        "FORGE_FILES_STORAGES": json.dumps(storages),
        "FORGE_FILES_SETTINGS": json.dumps(files),
        **(env or {}),
    }
    return ServerProcess("", env, server="wsgi", name="django")
