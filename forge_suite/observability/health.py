"""Health checks of every configured dependency, run concurrently with a per-check timeout.

The checks are django-health-check 4.x ``HealthCheck`` dataclasses (its own ``Database``,
``Storage``, ``Mail``, ``contrib.redis.Redis`` and ``contrib.celery.Ping``, plus a cache check
that never blocks the event loop and a channel-layer check). :func:`components` picks the ones
whose piece is configured; :func:`run` runs them at once, each bounded by
``FORGE["OBSERVABILITY"]["HEALTH_TIMEOUT"]`` so one hanging dependency cannot hang a probe.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from typing import Any, Literal

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import InvalidCacheBackendError
from django.utils import timezone
from django.utils.module_loading import import_string
from health_check import Database, Mail, Storage
from health_check.base import HealthCheck
from health_check.checks import Cache
from health_check.exceptions import (
    ServiceReturnedUnexpectedResult,
    ServiceUnavailable,
    ServiceWarning,
)

from forge_suite.observability.conf import app_settings

__all__ = [
    "CacheCheck",
    "ChannelLayerCheck",
    "Component",
    "ComponentResult",
    "Report",
    "components",
    "run",
    "run_sync",
]

Status = Literal["pass", "warn", "fail"]
Scope = Literal["ready", "all"]


@dataclasses.dataclass
class CacheCheck(Cache):
    """django-health-check's cache round trip, run in a worker thread.

    The library's version awaits ``cache.aset``, which for most backends runs the blocking
    client on the request's own thread, where a hanging server cannot be timed out.
    """

    def run(self) -> None:
        try:
            cache = caches[self.alias]
        except InvalidCacheBackendError as exc:
            raise ServiceUnavailable("Cache alias does not exist") from exc
        key = f"{self.key_prefix}:{uuid.uuid4().hex}"
        value = f"forge-health-{time.time()}"
        try:
            cache.set(key, value, timeout=self.timeout.total_seconds())
            if cache.get(key) != value:
                raise ServiceUnavailable("Cache did not return the value just stored")
            cache.delete(key)
        except (ServiceUnavailable, ServiceReturnedUnexpectedResult):
            raise
        except Exception as exc:
            raise ServiceUnavailable(f"Cache error: {type(exc).__name__}") from exc


@dataclasses.dataclass
class ChannelLayerCheck(HealthCheck):
    """Send a message to a fresh channel of a Channels layer and receive it back."""

    alias: str = "default"

    async def run(self) -> None:
        try:
            from channels.layers import get_channel_layer
        except ImportError as exc:
            raise ServiceUnavailable("channels is not installed") from exc
        try:
            layer = get_channel_layer(self.alias)
        except Exception as exc:
            raise ServiceUnavailable(f"Channel layer error: {type(exc).__name__}") from exc
        if layer is None:
            raise ServiceUnavailable("Channel layer alias does not exist")
        token = uuid.uuid4().hex
        try:
            channel = await layer.new_channel()
            await layer.send(channel, {"type": "forge.health", "token": token})
            message = await layer.receive(channel)
        except (ServiceUnavailable, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise ServiceUnavailable(f"Channel layer error: {type(exc).__name__}") from exc
        if message.get("token") != token:
            raise ServiceReturnedUnexpectedResult("Channel layer returned another message")


@dataclasses.dataclass(frozen=True)
class Component:
    """One checked piece: ``name`` such as ``database:default``, its check and criticality."""

    name: str
    kind: str
    component_type: str
    check: HealthCheck
    critical: bool = True


@dataclasses.dataclass(frozen=True)
class ComponentResult:
    component: Component
    status: Status
    output: str
    duration_ms: float
    time: datetime.datetime

    def as_health_json(self) -> dict[str, Any]:
        """One entry of the ``checks`` object in the ``application/health+json`` shape."""
        alias = self.component.name.partition(":")[2] or self.component.name
        data: dict[str, Any] = {
            "componentId": alias,
            "componentType": self.component.component_type,
            "status": self.status,
            "observedValue": round(self.duration_ms, 3),
            "observedUnit": "ms",
            "time": self.time.isoformat(),
            "critical": self.component.critical,
        }
        if self.output:
            data["output"] = self.output
        return data


@dataclasses.dataclass(frozen=True)
class Report:
    """The outcome of one probe."""

    scope: Scope
    results: list[ComponentResult]

    @property
    def status(self) -> Status:
        failed = [r for r in self.results if r.status == "fail"]
        if any(r.component.critical for r in failed):
            return "fail"
        if failed or any(r.status == "warn" for r in self.results):
            return "warn"
        return "pass"

    @property
    def http_status(self) -> int:
        return 503 if self.status == "fail" else 200

    @property
    def failures(self) -> list[ComponentResult]:
        return [r for r in self.results if r.status != "pass"]

    def as_health_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "status": self.status,
            "description": f"health of {self.scope} components",
            "checks": {r.component.name: [r.as_health_json()] for r in self.results},
        }
        if self.failures:
            data["output"] = "; ".join(f"{r.component.name}: {r.output}" for r in self.failures)
        return data


#: Blocking checks still running, by component name, with their start time.
_in_flight: dict[str, float] = {}
_in_flight_lock = threading.Lock()


class _DaemonThreadExecutor(Executor):
    """Runs a component's blocking check in its own daemon thread.

    A check stuck in a socket read must neither delay the response (the probe stops waiting
    at the timeout) nor keep the process from exiting, which a ThreadPoolExecutor would do.
    While one is still stuck, later probes report it instead of starting another thread, so
    a dependency that never answers costs one thread, not one per probe.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with _in_flight_lock:
            started = _in_flight.get(self.name)
            if started is None:
                _in_flight[self.name] = time.monotonic()
        if started is not None:
            stuck = time.monotonic() - started
            future.set_exception(
                ServiceUnavailable(f"previous check still running after {stuck:.0f} s")
            )
            return future

        def runner() -> None:
            try:
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            finally:
                with _in_flight_lock:
                    _in_flight.pop(self.name, None)
                from django.db import connections

                connections.close_all()

        threading.Thread(target=runner, name=f"forge-health-{self.name}", daemon=True).start()
        return future


def _matches(name: str, patterns: Iterable[str]) -> bool:
    kind = name.partition(":")[0]
    return any(p in (name, kind) for p in patterns)


def _timeout() -> float:
    return float(app_settings.HEALTH_TIMEOUT)


def _broker_configured() -> bool:
    from forge_suite.core.celery import get_celery_app

    app = get_celery_app()
    return bool(app.conf.broker_url) and not app.conf.task_always_eager


def _redis_client_factory(url: str, timeout: float) -> Callable[[], Any]:
    def factory() -> Any:
        from redis.asyncio import Redis

        return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)

    return factory


def _configured_components() -> list[tuple[str, str, HealthCheck]]:
    """(name, componentType, check) for every piece this project configures."""
    timeout = _timeout()
    found: list[tuple[str, str, HealthCheck]] = []
    for alias, db in settings.DATABASES.items():
        if db.get("ENGINE") and not db["ENGINE"].endswith(".dummy"):
            found.append((f"database:{alias}", "datastore", Database(alias=alias)))
    for alias, cache in settings.CACHES.items():
        if not str(cache.get("BACKEND", "")).endswith("DummyCache"):
            found.append((f"cache:{alias}", "datastore", CacheCheck(alias=alias)))
    from forge_suite.core.conf import forge_settings

    if forge_settings.REDIS_URL:
        from health_check.contrib.redis import Redis

        check = Redis(client_factory=_redis_client_factory(forge_settings.REDIS_URL, timeout))
        found.append(("redis", "datastore", check))
    if _broker_configured():
        from health_check.contrib.celery import Ping

        from forge_suite.core.celery import get_celery_app

        # The ping collects replies for this long (the library's default of 1 s), well before
        # our own timeout fires, so a missing worker reads as such.
        ping_timeout = datetime.timedelta(seconds=min(1.0, timeout * 0.8))
        ping = Ping(app=get_celery_app(), timeout=ping_timeout)
        found.append(("celery", "component", ping))
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    if layers:
        try:
            import channels  # noqa: F401
        except ImportError:
            layers = {}
    for alias in layers:
        found.append((f"channel_layer:{alias}", "component", ChannelLayerCheck(alias=alias)))
    for alias in getattr(settings, "STORAGES", {}) or {}:
        found.append((f"storage:{alias}", "datastore", Storage(alias=alias)))
    # Django 6.1 configures mail through MAILERS; earlier versions through EMAIL_BACKEND.
    mail_settings = ("EMAIL_BACKEND", "MAILERS")
    if any(settings.is_overridden(name) for name in mail_settings):  # type: ignore[misc]
        mail = Mail(timeout=datetime.timedelta(seconds=timeout))
        found.append(("mail", "component", mail))
    return found


def _extra_components() -> list[tuple[str, str, HealthCheck]]:
    extra: list[tuple[str, str, HealthCheck]] = []
    for entry in app_settings.raw("HEALTH_EXTRA_CHECKS"):
        options: dict[str, Any] = {}
        if isinstance(entry, (list, tuple)):
            name, path, *rest = entry
            options = dict(rest[0]) if rest else {}
        else:
            path = entry
            name = str(entry).rsplit(".", 1)[-1].lower()
        cls = import_string(path) if isinstance(path, str) else path
        extra.append((str(name), "component", cls(**options)))
    return extra


def components(scope: Scope = "all") -> list[Component]:
    """The checks to run: ``ready`` leaves out ``HEALTH_NON_CRITICAL``, ``all`` runs every one."""
    non_critical = list(app_settings.HEALTH_NON_CRITICAL)
    skip = list(app_settings.HEALTH_SKIP)
    result: list[Component] = []
    for name, component_type, check in [*_configured_components(), *_extra_components()]:
        if _matches(name, skip):
            continue
        critical = not _matches(name, non_critical)
        if scope == "ready" and not critical:
            continue
        kind = name.partition(":")[0]
        result.append(Component(name, kind, component_type, check, critical))
    return result


async def _run_one(component: Component, timeout: float) -> ComponentResult:
    executor = _DaemonThreadExecutor(component.name)
    started = time.perf_counter()
    checked_at = timezone.now()
    status: Status = "pass"
    output = ""
    try:
        result = await asyncio.wait_for(component.check.get_result(executor), timeout)
    except TimeoutError:
        status, output = "fail", f"timed out after {timeout:g} s"
    else:
        if result.error is not None:
            status = "warn" if isinstance(result.error, ServiceWarning) else "fail"
            output = str(result.error)
    duration_ms = (time.perf_counter() - started) * 1000
    return ComponentResult(component, status, output, duration_ms, checked_at)


async def run(
    scope: Scope = "all",
    *,
    only: Sequence[Component] | None = None,
    timeout: float | None = None,
) -> Report:
    """Run the checks of ``scope`` (or ``only`` these) concurrently and return the report."""
    selected = list(only) if only is not None else components(scope)
    limit = _timeout() if timeout is None else float(timeout)
    results = await asyncio.gather(*(_run_one(c, limit) for c in selected))
    return Report(scope, list(results))


#: Recent reports by scope for :func:`run_cached`: (monotonic time, report).
_recent: dict[str, tuple[float, Report]] = {}
_recent_lock = threading.Lock()
_clock = time.monotonic


async def run_cached(scope: Scope, max_age: float) -> Report:
    """:func:`run`, reusing a report of ``scope`` younger than ``max_age`` seconds.

    A burst of probes (several load balancers, every pod's kubelet) then runs the checks once
    per ``max_age`` instead of once per probe. ``max_age <= 0`` always runs them.
    """
    if max_age > 0:
        with _recent_lock:
            hit = _recent.get(scope)
        if hit is not None and _clock() - hit[0] < max_age:
            return hit[1]
    report = await run(scope)
    if max_age > 0:
        with _recent_lock:
            _recent[scope] = (_clock(), report)
    return report


def forget_reports(**kwargs: Any) -> None:
    """Drop cached reports; connected to ``setting_changed`` (a new configuration, new checks)."""
    with _recent_lock:
        _recent.clear()


def run_sync(scope: Scope = "all", *, timeout: float | None = None) -> Report:
    """:func:`run` from synchronous code (commands, admin views)."""
    return asyncio.run(run(scope, timeout=timeout))
