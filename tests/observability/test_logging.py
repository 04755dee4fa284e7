"""The LOGGING helper: JSON lines in production, console output in DEBUG, request ids."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import structlog

from forge_suite.observability import bind_request_id, logging_config
from forge_suite.observability.logs import console_formatter, json_formatter, uses_forge_logging


def test_production_config_is_json_and_debug_is_console() -> None:
    prod = logging_config(debug=False)
    dev = logging_config(debug=True)
    assert prod["handlers"]["forge_stream"]["formatter"] == "forge_json"
    assert dev["handlers"]["forge_stream"]["formatter"] == "forge_console"
    assert logging_config(debug=True, json=True)["handlers"]["forge_stream"]["formatter"] == (
        "forge_json"
    )
    assert uses_forge_logging(prod)
    assert not uses_forge_logging({"version": 1})


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("app.module", logging.WARNING, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_json_formatter_renders_standard_library_records_with_context() -> None:
    line = json_formatter().format(_record("disk %s", request_id="r-1", status=503))
    data = json.loads(line)
    assert data["event"] == "disk %s"
    assert data["request_id"] == "r-1"
    assert data["status"] == 503
    assert data["level"] == "warning"
    assert data["logger"] == "app.module"
    assert data["timestamp"].endswith("Z")


def test_json_formatter_includes_exceptions() -> None:
    try:
        raise ValueError("bad thing")
    except ValueError:
        import sys

        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    data = json.loads(json_formatter().format(record))
    assert "ValueError: bad thing" in data["exception"]


def test_console_formatter_is_human_readable() -> None:
    with bind_request_id("dev-1"):
        text = console_formatter(colors=False).format(_record("hello there"))
    assert "hello there" in text
    assert "dev-1" in text
    assert not text.startswith("{")


def test_structlog_loggers_go_through_the_same_handler() -> None:
    stream = io.StringIO()
    config = logging_config(json=True, loggers={"structured": {"level": "INFO"}})
    config["handlers"]["forge_stream"]["stream"] = stream
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logging.config.dictConfig(config)
        with bind_request_id("s-1"):
            structlog.get_logger("structured").info("order placed", order=7)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    data = json.loads(stream.getvalue().splitlines()[-1])
    assert data["event"] == "order placed"
    assert data["order"] == 7
    assert data["request_id"] == "s-1"
    assert data["logger"] == "structured"


def test_query_string_secrets_are_filtered_from_django_request_and_server_lines() -> None:
    """Django's request log (request extra) and the dev server's request line kept secrets."""
    from django.test import Client, override_settings

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(handler)
    try:
        with override_settings(ROOT_URLCONF="tests.observability.urls"):
            client = Client(raise_request_exception=False)
            response = client.post("/t/boom?token=qs-secret-1&page=2&api_key=qs-secret-2", {})
        assert response.status_code == 500
    finally:
        request_logger.removeHandler(handler)
    server_line = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /t/hello?session_token=qs-secret-3&q=ok HTTP/1.1", "200", "17"),
        None,
    )
    stream.write(json_formatter().format(server_line) + "\n")
    output = stream.getvalue()
    for secret in ("qs-secret-1", "qs-secret-2", "qs-secret-3"):
        assert secret not in output
    lines = [json.loads(line) for line in output.splitlines()]
    assert "token=[Filtered]&page=2" in lines[0]["request"]
    assert "/t/boom" in lines[0]["event"]
    assert lines[-1]["event"] == '"GET /t/hello?session_token=[Filtered]&q=ok HTTP/1.1" 200 17'
    # The record keeps the real request object for other handlers (e.g. mail to admins).
    assert "qs-secret-3" in server_line.args[0]
