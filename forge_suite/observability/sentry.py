"""Error tracking: :func:`init` wraps ``sentry_sdk.init`` with the suite's defaults.

Django, Celery, Redis and logging integrations; environment and release from settings; and a
``before_send`` that removes secrets and personal data (passwords, tokens, cookies, session
ids, card numbers, e-mail addresses, client IPs) from every event before it leaves the
process, whatever ``send_default_pii`` says about what the SDK collects. Events are tagged with
the request id of the request or Celery job they happened in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from forge_suite.observability.context import get_request_id
from forge_suite.observability.scrubbing import FILTERED, SENSITIVE_KEYS, is_sensitive, scrub_text

__all__ = ["SENSITIVE_KEYS", "init", "make_before_send", "scrub_event"]


def _sensitive(key: Any, keys: tuple[str, ...]) -> bool:
    return is_sensitive(key, keys)


def _scrub(value: Any, keys: tuple[str, ...], depth: int = 0) -> Any:
    if depth > 20:
        return value
    if isinstance(value, dict):
        return {
            k: FILTERED if _sensitive(k, keys) else _scrub(v, keys, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        # Sentry sends headers and query strings as [name, value] pairs.
        if len(value) == 2 and isinstance(value[0], str) and _sensitive(value[0], keys):
            return [value[0], FILTERED]
        return [_scrub(v, keys, depth + 1) for v in value]
    if isinstance(value, str):
        # Frame locals hold reprs such as "<WSGIRequest: GET '/x?token=...'>".
        return scrub_text(value, keys)
    return value


def _scrub_body(data: Any, keys: tuple[str, ...]) -> Any:
    if isinstance(data, str):
        try:
            parsed = json.loads(data)
        except ValueError:
            return FILTERED if _sensitive(data, keys) else scrub_text(data, keys)
        return _scrub(parsed, keys)
    return _scrub(data, keys)


def _scrub_query(query: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(query, str):
        return _scrub(query, keys)
    parts = []
    for part in query.split("&"):
        name, sep, _value = part.partition("=")
        parts.append(f"{name}{sep}{FILTERED}" if sep and _sensitive(name, keys) else part)
    return scrub_text("&".join(parts), keys)


def scrub_event(event: dict[str, Any], keys: Iterable[str] = SENSITIVE_KEYS) -> dict[str, Any]:
    """Remove secrets and personal data from a Sentry event (in place) and return it."""
    fragments = tuple(k.lower() for k in keys)
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("cookies", None)
        if "data" in request:
            request["data"] = _scrub_body(request["data"], fragments)
        if "headers" in request:
            request["headers"] = _scrub(request["headers"], fragments)
        if "query_string" in request:
            request["query_string"] = _scrub_query(request["query_string"], fragments)
        if "env" in request:
            request["env"] = _scrub(request["env"], fragments)
    user = event.get("user")
    if isinstance(user, dict):
        # Keep the id to count affected users; drop names, e-mails and addresses.
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for section in ("extra", "tags"):
        if isinstance(event.get(section), dict):
            event[section] = _scrub(event[section], fragments)
    for exception in (event.get("exception") or {}).get("values") or []:
        # Database errors quote the offending values, e.g. "Key (email)=(a@b.c) already exists".
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"], fragments)
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            if isinstance(frame.get("vars"), dict):
                frame["vars"] = _scrub(frame["vars"], fragments)
    crumbs = event.get("breadcrumbs")
    values = crumbs.get("values") if isinstance(crumbs, dict) else crumbs
    for crumb in values or []:
        if isinstance(crumb, dict):
            if isinstance(crumb.get("data"), dict):
                crumb["data"] = _scrub(crumb["data"], fragments)
            if isinstance(crumb.get("message"), str):
                crumb["message"] = scrub_text(crumb["message"], fragments)
    if isinstance(event.get("message"), str):
        event["message"] = scrub_text(event["message"], fragments)
    if isinstance(event.get("contexts"), dict):
        event["contexts"] = _scrub(event["contexts"], fragments)
    if isinstance(event.get("logentry"), dict):
        event["logentry"] = _scrub(event["logentry"], fragments)
    return event


def make_before_send(
    extra_keys: Iterable[str] = (),
    then: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None]:
    """A ``before_send`` that tags the request id, scrubs, then calls ``then`` (if given)."""
    keys = (*SENSITIVE_KEYS, *extra_keys)

    def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
        request_id = get_request_id()
        if request_id:
            tags = event.setdefault("tags", {})
            if isinstance(tags, dict):
                tags.setdefault("request_id", request_id)
        event = scrub_event(event, keys)
        return then(event, hint) if then is not None else event

    return before_send


def _setting(name: str, default: Any) -> Any:
    from django.conf import settings

    if not settings.configured:  # called from settings.py itself
        return default
    from forge_suite.observability.conf import app_settings

    value = getattr(app_settings, name)
    return default if value is None else value


def _environment() -> str | None:
    from django.conf import settings

    if not settings.configured:
        return None
    from forge_suite.core.conf import current_environment

    return current_environment()


def init(
    dsn: str | None = None,
    *,
    environment: str | None = None,
    release: str | None = None,
    sample_rate: float | None = None,
    traces_sample_rate: float | None = None,
    send_default_pii: bool = False,
    extra_sensitive_keys: Iterable[str] = (),
    before_send: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None] | None = None,
    integrations: Iterable[Any] = (),
    **options: Any,
) -> bool:
    """Initialise Sentry for a Django + Celery project; return False when no DSN is known.

    Values not passed come from ``FORGE["OBSERVABILITY"]`` (``SENTRY_DSN``, ``SENTRY_RELEASE``,
    ``SENTRY_SAMPLE_RATE``, ``SENTRY_TRACES_SAMPLE_RATE``) and ``FORGE["ENVIRONMENT"]`` when
    settings are loaded; from ``settings.py`` itself pass them explicitly. ``SENTRY_DSN`` in
    the environment is used last, as sentry-sdk does. Other keyword arguments go to
    ``sentry_sdk.init`` unchanged.
    """
    import os

    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.django import DjangoIntegration
        from sentry_sdk.integrations.logging import LoggingIntegration
        from sentry_sdk.integrations.redis import RedisIntegration
    except ImportError as exc:  # pragma: no cover - sentry-sdk is part of the extra
        from forge_suite.core.exceptions import MissingDependency

        raise MissingDependency("sentry-sdk", "observability", "error tracking") from exc

    dsn = dsn or _setting("SENTRY_DSN", None) or os.environ.get("SENTRY_DSN")
    if not dsn:
        return False
    import logging

    if send_default_pii:
        # Newer sentry-sdk releases deprecate the option; pass it only when asked for.
        options["send_default_pii"] = True
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or _environment(),
        release=release or _setting("SENTRY_RELEASE", None),
        sample_rate=_setting("SENTRY_SAMPLE_RATE", 1.0) if sample_rate is None else sample_rate,
        traces_sample_rate=(
            _setting("SENTRY_TRACES_SAMPLE_RATE", 0.0)
            if traces_sample_rate is None
            else traces_sample_rate
        ),
        before_send=make_before_send(extra_sensitive_keys, before_send),  # type: ignore[arg-type]
        # Performance events carry the request too; scrub them the same way.
        before_send_transaction=make_before_send(extra_sensitive_keys),  # type: ignore[arg-type]
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(),
            RedisIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
            *integrations,
        ],
        **options,
    )
    return True
