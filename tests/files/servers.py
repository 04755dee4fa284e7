"""Launchers for the files tests: moto's S3 server and the test project under a WSGI server."""

from __future__ import annotations

import json
import sys
from typing import Any

from tests.support.servers import ServerProcess, free_port

__all__ = ["django_server", "moto_server"]


def moto_server() -> ServerProcess:
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return ServerProcess("", command=command, port=port, name="moto")


def django_server(db_name: str, storages: dict[str, Any], files: dict[str, Any]) -> ServerProcess:
    """The test project under a threaded WSGI server (werkzeug), which passes chunked bodies
    through as a stream, on the test database; it can be SIGKILLed and restarted on its port."""
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.files.server_settings",
        "FORGE_FILES_DB_NAME": db_name,
        "FORGE_FILES_STORAGES": json.dumps(storages),
        "FORGE_FILES_SETTINGS": json.dumps(files),
    }
    return ServerProcess("", env, server="wsgi", name="django")
