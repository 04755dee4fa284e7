"""Webhooks as Pusher sends them: batched, signed, delivered by jobs with retries.

Configure per app in ``FORGE["REALTIME"]["APPS"]``::

    {"id": "1", "key": "...", "secret": "...",
     "webhooks": [{"url": "https://example.com/pusher/webhook",
                   "event_types": ["channel_occupied", "channel_vacated"]}]}

Events: ``channel_occupied``, ``channel_vacated``, ``member_added``, ``member_removed``,
``client_event``, ``cache_miss``. Each server process collects them for up to
``WEBHOOK_BATCH_DELAY`` seconds or ``WEBHOOK_BATCH_SIZE`` events (Pusher: 250 ms / 20) and
posts ``{"time_ms": ..., "events": [...]}`` signed with ``X-Pusher-Key`` and
``X-Pusher-Signature`` (hex HMAC-SHA256 of the body with the app secret), so
``pusher.Pusher.validate_webhook`` accepts it. Occupied/vacated and member events come from
atomic Redis counters, so each fires once for the cluster, not once per process.

As on Pusher, ``channel_vacated`` and ``member_removed`` wait ``WEBHOOK_LEAVE_DELAY`` seconds
(3): if the channel is occupied again (the member joins again) meanwhile, a page reload or a
quick reconnect, neither the leave nor the join is sent. The held leave is kept in the shared
state, so a reconnect to another server process cancels it too.

Delivery runs as a ``forge_suite.scheduling`` job when that app is installed (retries with
exponential backoff, then a FailedJob row); otherwise in a thread with a few retries.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections import defaultdict
from typing import Any

from django.apps import apps

from forge_suite.realtime.conf import EVENT_TYPES, app_settings
from forge_suite.realtime.registry import RealtimeApp, all_apps, get_app
from forge_suite.realtime.signing import webhook_signature

__all__ = ["EVENT_TYPES", "LEAVES", "WebhookBatcher", "deliver_webhook", "delivery_job"]

#: Leave events held for ``WEBHOOK_LEAVE_DELAY``, and the join that cancels each.
LEAVES = {"channel_vacated": "channel_occupied", "member_removed": "member_added"}
_JOINS = {join: leave for leave, join in LEAVES.items()}

logger = logging.getLogger("forge_suite.realtime")

FALLBACK_RETRIES = 3


class WebhookFailed(Exception):
    """The receiver did not answer 2xx (the job retries)."""


def deliver_webhook(app_id: str, url: str, body: str) -> int:
    """POST one signed webhook body to ``url``; raises :class:`WebhookFailed` unless 2xx."""
    app = get_app(id=app_id)
    raw = body.encode()
    request = urllib.request.Request(
        url,
        data=raw,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Pusher-Key": app.key,
            "X-Pusher-Signature": webhook_signature(app.secret, raw),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=float(app_settings.WEBHOOK_TIMEOUT)) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        raise WebhookFailed(f"{url} answered {exc.code}") from None
    except OSError as exc:
        raise WebhookFailed(f"{url} unreachable: {exc}") from None


_job: Any = None


def delivery_job() -> Any:
    """The scheduling job delivering webhooks, or None without forge_suite.scheduling."""
    global _job
    if _job is None and apps.is_installed("forge_suite.scheduling"):
        from forge_suite.scheduling import job

        _job = job(
            name="forge_realtime.deliver_webhook",
            max_retries=int(app_settings.WEBHOOK_RETRIES),
            retry_on=(WebhookFailed,),
        )(deliver_webhook)
    return _job


def _send(app_id: str, url: str, body: str) -> None:
    """Hand one delivery to the job queue, or deliver it here with a few retries."""
    found = delivery_job()
    if found is not None:
        try:
            found.delay(app_id, url, body)
        except WebhookFailed as exc:  # eager mode runs it inline and cannot wait to retry
            logger.warning("forge_realtime: webhook to %s failed: %s", url, exc)
        return
    for attempt in range(FALLBACK_RETRIES):
        try:
            deliver_webhook(app_id, url, body)
            return
        except WebhookFailed as exc:
            logger.warning("forge_realtime: webhook attempt %d failed: %s", attempt + 1, exc)
            time.sleep(0.5 * 2**attempt)


def _held_key(app_id: str, name: str, fields: dict[str, Any]) -> str:
    if name in ("channel_vacated", "channel_occupied"):
        return f"{app_id}:channel:{fields['channel']}"
    return f"{app_id}:member:{fields['channel']}:{fields['user_id']}"


class WebhookBatcher:
    """Collects one process's webhook events and sends them in batches."""

    def __init__(self, state: Any = None) -> None:
        self.pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._task: asyncio.Task[None] | None = None
        self._apps: dict[str, RealtimeApp] = {}
        #: where held leaves are kept (the hub's state; None: leaves are not held)
        self.state = state
        #: token -> (key, app id, event) of the leaves this process holds
        self._held: dict[str, tuple[str, str, dict[str, Any]]] = {}
        #: the pending write of a held leave, per key (a join waits for it)
        self._holding: dict[str, asyncio.Future[None]] = {}
        self._timers: set[asyncio.Task[None]] = set()

    def wanted(self, app_id: str, name: str) -> bool:
        app = self._apps.get(app_id)
        if app is None:
            self._apps = {a.id: a for a in all_apps()}
            app = self._apps.get(app_id)
        return app is not None and any(name in _types(hook) for hook in app.webhooks)

    def add(self, app_id: str, name: str, **fields: Any) -> None:
        """Queue one event (dropped at once when no webhook of the app wants it)."""
        pair = LEAVES.get(name) or _JOINS.get(name)
        if pair and self.state is not None and float(app_settings.WEBHOOK_LEAVE_DELAY) > 0:
            if self.wanted(app_id, name) or self.wanted(app_id, pair):
                event = {"name": name, **fields}
                work = self._hold(app_id, event) if name in LEAVES else self._join(app_id, event)
                task = asyncio.create_task(work)
                self._timers.add(task)
                task.add_done_callback(self._timers.discard)
            return
        self._queue(app_id, {"name": name, **fields})

    def _queue(self, app_id: str, event: dict[str, Any]) -> None:
        if not self.wanted(app_id, event["name"]):
            return
        self.pending[app_id].append(event)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _hold(self, app_id: str, event: dict[str, Any]) -> None:
        """Keep a leave for WEBHOOK_LEAVE_DELAY; send it unless a join took it meanwhile."""
        delay = float(app_settings.WEBHOOK_LEAVE_DELAY)
        key, token = _held_key(app_id, event["name"], event), secrets.token_hex(8)
        written = asyncio.get_running_loop().create_future()
        self._holding[key] = written
        try:
            await self.state.hold(key, token, delay)
        except Exception as exc:  # the shared state is down: send it now rather than lose it
            logger.warning("forge_realtime: holding a %s webhook failed: %s", event["name"], exc)
            self._queue(app_id, event)
            return
        finally:
            written.set_result(None)
            if self._holding.get(key) is written:
                del self._holding[key]
        self._held[token] = (key, app_id, event)
        await asyncio.sleep(delay)
        await self._claim(token)

    async def _claim(self, token: str) -> None:
        found = self._held.pop(token, None)
        if found is None:
            return
        key, app_id, event = found
        try:
            owned = await self.state.unhold(key, token)
        except Exception:  # cannot tell whether a join took it: send it
            owned = True
        if owned:
            self._queue(app_id, event)

    async def _join(self, app_id: str, event: dict[str, Any]) -> None:
        """A join cancels a held leave of the same channel (member): then neither is sent."""
        key = _held_key(app_id, event["name"], event)
        pending = self._holding.get(key)
        if pending is not None:  # the leave just before it in this process is being held
            await asyncio.shield(pending)
        try:
            cancelled = await self.state.unhold(key)
        except Exception:
            cancelled = False
        if not cancelled:
            self._queue(app_id, event)

    async def _run(self) -> None:
        # Events that arrive while a batch is being sent go out with the next one.
        while self.pending:
            await asyncio.sleep(float(app_settings.WEBHOOK_BATCH_DELAY))
            await self.flush()

    async def flush(self) -> None:
        batches, self.pending = self.pending, defaultdict(list)
        time_ms = int(time.time() * 1000)
        for app_id, events in batches.items():
            app = self._apps.get(app_id)
            if app is None:
                continue
            for hook in app.webhooks:
                types = _types(hook)
                chosen = [e for e in events if e["name"] in types]
                for start in range(0, len(chosen), int(app_settings.WEBHOOK_BATCH_SIZE)):
                    part = chosen[start : start + int(app_settings.WEBHOOK_BATCH_SIZE)]
                    body = json.dumps({"time_ms": time_ms, "events": part})
                    try:
                        await asyncio.to_thread(_send, app_id, _url(hook), body)
                    except Exception:
                        logger.exception("forge_realtime: queueing a webhook failed")

    async def close(self) -> None:
        # A stopping process sends the leaves it holds now, instead of after the delay.
        for timer in list(self._timers):
            timer.cancel()
        for token in list(self._held):
            await self._claim(token)
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self.pending:
            await self.flush()


def _url(hook: Any) -> str:
    return str(hook["url"] if isinstance(hook, dict) else hook)


def _types(hook: Any) -> tuple[str, ...]:
    if isinstance(hook, dict) and hook.get("event_types"):
        return tuple(hook["event_types"])
    return EVENT_TYPES
