"""Structured logs: one ``LOGGING`` helper, JSON in production, readable console in DEBUG.

Built on structlog (its ``ProcessorFormatter`` renders both structlog loggers and the standard
library records Django, Celery and every other library emit), so a project keeps using
``logging.getLogger(__name__)`` and still gets one JSON object per line with the request id::

    # settings.py
    from forge_suite.observability.logs import logging_config

    LOGGING = logging_config(debug=DEBUG)
"""

from __future__ import annotations

import logging
from typing import Any

from forge_suite.observability.context import get_request_id
from forge_suite.observability.scrubbing import scrub_text
from forge_suite.observability.tracing import current_trace

__all__ = [
    "FILTER_NAME",
    "RequestIdFilter",
    "console_formatter",
    "json_formatter",
    "logging_config",
    "uses_forge_logging",
]

#: Name of the request-id filter in the dict built by :func:`logging_config`.
FILTER_NAME = "forge_request_id"

#: Record attributes the access log passes as ``extra`` and the formatters output.
_CONTEXT_FIELDS = (
    "request_id",
    "trace_id",
    "span_id",
    "user_id",
    "method",
    "path",
    "status",
    "duration_ms",
)


class RequestIdFilter(logging.Filter):
    """Stamp ``record.request_id`` with the current request id and ``record.trace_id`` /
    ``record.span_id`` with the current W3C trace context (None outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = get_request_id()
        if getattr(record, "trace_id", None) is None:
            trace = current_trace()
            record.trace_id = trace.trace_id if trace else None
            record.span_id = trace.span_id if trace else None
        return True


def _add_request_id(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    record = event_dict.get("_record")
    request_id = getattr(record, "request_id", None) if record is not None else None
    request_id = request_id or get_request_id()
    if request_id and not event_dict.get("request_id"):
        event_dict["request_id"] = request_id
    if not event_dict.get("trace_id"):
        trace_id = getattr(record, "trace_id", None) if record is not None else None
        span_id = getattr(record, "span_id", None) if record is not None else None
        if trace_id is None:
            trace = current_trace()
            trace_id, span_id = (trace.trace_id, trace.span_id) if trace else (None, None)
        if trace_id:
            event_dict["trace_id"] = trace_id
            event_dict["span_id"] = span_id
    return event_dict


def _drop_empty_context(
    logger: Any, method_name: str, event_dict: dict[str, Any]
) -> dict[str, Any]:
    for name in _CONTEXT_FIELDS:
        if name in event_dict and event_dict[name] is None:
            del event_dict[name]
    return event_dict


def _scrub_secrets(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Filter secrets in query strings out of the line (the same rule as the Sentry events).

    Django's request log passes the request as an extra (rendered as
    ``<WSGIRequest: GET '/x?token=...'>``) and the development server logs the request line
    with its query string. The record itself is left alone for other handlers.
    """
    for key, value in list(event_dict.items()):
        if key.startswith("_"):
            continue
        if isinstance(value, str):
            event_dict[key] = scrub_text(value)
        elif hasattr(value, "get_full_path") or key == "request":
            event_dict[key] = scrub_text(str(value))
    return event_dict


def _shared_processors() -> list[Any]:
    import structlog

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        _add_request_id,
        _drop_empty_context,
        _scrub_secrets,
    ]


_configured = False


def _configure_structlog() -> None:
    """Route structlog's own loggers through the standard library handlers (idempotent)."""
    global _configured
    if _configured:
        return
    import structlog

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    _configured = True


def json_formatter(**kwargs: Any) -> logging.Formatter:
    """A formatter writing one JSON object per record (for ``LOGGING["formatters"]``)."""
    import structlog

    _configure_structlog()
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(default=str),
        ],
        foreign_pre_chain=_shared_processors(),
    )


def console_formatter(**kwargs: Any) -> logging.Formatter:
    """A coloured, aligned formatter for development consoles."""
    import structlog

    _configure_structlog()
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=kwargs.get("colors", True)),
        ],
        foreign_pre_chain=_shared_processors(),
    )


def logging_config(
    *,
    debug: bool = False,
    json: bool | None = None,
    level: str = "INFO",
    loggers: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return a ``LOGGING`` dict: JSON lines (or the console renderer in DEBUG) on stderr.

    ``json`` forces the format either way; ``loggers`` adds or overrides logger entries
    (``{"myapp": {"level": "DEBUG"}}``). Every record carries the request id.
    """
    use_json = (not debug) if json is None else json
    formatter = "forge_json" if use_json else "forge_console"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {FILTER_NAME: {"()": "forge_suite.observability.logs.RequestIdFilter"}},
        "formatters": {
            "forge_json": {"()": "forge_suite.observability.logs.json_formatter"},
            "forge_console": {"()": "forge_suite.observability.logs.console_formatter"},
        },
        "handlers": {
            "forge_stream": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": [FILTER_NAME],
            }
        },
        "root": {"handlers": ["forge_stream"], "level": level},
        "loggers": {
            # Django's own handlers would print a second, unstructured copy.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            **(loggers or {}),
        },
    }


def uses_forge_logging(config: Any) -> bool:
    """True when a ``LOGGING`` dict was built by :func:`logging_config` (or uses its filter)."""
    return isinstance(config, dict) and FILTER_NAME in (config.get("filters") or {})
