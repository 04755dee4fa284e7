"""HTTP endpoints: channel authorization (``/broadcasting/auth``) and Pusher's REST API."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from forge_suite.realtime import queries
from forge_suite.realtime.broadcasting import MAX_CHANNELS
from forge_suite.realtime.cache import remember
from forge_suite.realtime.conf import app_settings
from forge_suite.realtime.exceptions import InvalidChannelName, UnknownApp
from forge_suite.realtime.hub import get_hub
from forge_suite.realtime.registry import (
    RealtimeApp,
    channel_type,
    default_app,
    get_app,
    is_encrypted,
    validate_channel_name,
)
from forge_suite.realtime.routes import authorize_sync
from forge_suite.realtime.signing import channel_auth, http_signature, shared_secret, user_auth
from forge_suite.realtime.transport import event_frame, publish

MAX_TIMESTAMP_SKEW = 600
MAX_BATCH = 10


SERVER_TO_USER_RE = re.compile(r"#server-to-user-[A-Za-z0-9_\-=@,.;]+")


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


# -- authorization --------------------------------------------------------------------------


def _authenticate(request: HttpRequest) -> tuple[Any, HttpResponse | None]:
    """The user behind an OAuth2 bearer token or the session; a response if refused."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        if not apps.is_installed("oauth2_provider"):
            return None, _error(401, "Bearer tokens need oauth2_provider in INSTALLED_APPS.")
        from oauth2_provider.oauth2_backends import get_oauthlib_core

        core = get_oauthlib_core()
        valid, oauth_request = core.verify_request(request, scopes=[])
        if not valid or oauth_request.user is None:
            return None, _error(401, "Invalid or expired bearer token.")
        scopes = bearer_scopes()
        if scopes and not core.verify_request(request, scopes=scopes)[0]:
            return None, _error(403, f"The bearer token needs scope {' '.join(scopes)}.")
        return oauth_request.user, None
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None, _error(403, "Log in (session) or send an OAuth2 bearer token.")
    # The view is csrf_exempt for bearer tokens; a session needs the CSRF token, in Django's
    # header or in X-CSRF-TOKEN (what laravel-echo's csrfToken option sends).
    echo_token = request.META.get("HTTP_X_CSRF_TOKEN")
    if echo_token and settings.CSRF_HEADER_NAME not in request.META:
        request.META[settings.CSRF_HEADER_NAME] = echo_token
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    rejected = middleware.process_view(request, lambda r: HttpResponse(), (), {})
    if rejected is not None:
        return None, rejected
    return user, None


def bearer_scopes() -> list[str]:
    """The scopes a bearer token needs to sign subscriptions (``BEARER_SCOPES``)."""
    configured = app_settings.BEARER_SCOPES
    if configured is not None:
        return [str(scope) for scope in configured]
    return ["realtime:auth"] if apps.is_installed("forge_suite.api") else []


def _auth_app(request: HttpRequest) -> RealtimeApp:
    app_id = request.GET.get("app")
    return get_app(id=app_id) if app_id else default_app()


def _socket_id_problem(socket_id: str) -> str | None:
    """Why ``socket_id`` is not one this server hands out (two integers joined by a dot)."""
    parts = socket_id.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return f"socket_id {socket_id[:40]!r} is not two integers joined by a dot."
    return None


def subscription_answer(
    user: Any, socket_id: str, channel: str, app_id: str | None = None
) -> tuple[int, dict[str, Any]]:
    """What the channel authorization endpoint answers ``user`` for ``channel``: (HTTP status,
    JSON body), the Pusher ``auth`` signature (with ``channel_data`` for presence channels and
    ``shared_secret`` for encrypted ones) or ``{"error": ...}``. Used by this app's endpoint and
    by the API's (``forge_suite.realtime.rest``)."""
    if not socket_id or not channel:
        return 400, {"error": "socket_id and channel_name are required."}
    if problem := _socket_id_problem(socket_id):
        return 400, {"error": problem}
    try:
        validate_channel_name(channel)
        app = get_app(id=app_id) if app_id else default_app()
    except (InvalidChannelName, UnknownApp) as exc:
        return 400, {"error": str(exc)}
    kind = channel_type(channel)
    if kind not in ("private", "presence"):
        return 400, {"error": f"{channel} is not a private or presence channel."}
    result = authorize_sync(user, channel)
    if not result:
        return 403, {"error": f"Not allowed to join {channel}."}
    if kind == "private":
        answer = {"auth": channel_auth(app.key, app.secret, socket_id, channel)}
        if is_encrypted(channel):
            if not app.encryption_master_key:
                return 400, {
                    "error": f"App {app.id} has no encryption_master_key; set one in "
                    'FORGE["REALTIME"]["APPS"] to use private-encrypted- channels.'
                }
            answer["shared_secret"] = shared_secret(channel, app.encryption_master_key)
        return 200, answer
    info = result if isinstance(result, dict) else {}
    channel_data = json.dumps({"user_id": str(user.pk), "user_info": info})
    auth = channel_auth(app.key, app.secret, socket_id, channel, channel_data)
    return 200, {"auth": auth, "channel_data": channel_data}


@csrf_exempt
@require_POST
def channel_auth_view(request: HttpRequest) -> HttpResponse:
    """Sign a private or presence subscription for the logged-in user (pusher-js, Echo)."""
    user, refused = _authenticate(request)
    if refused is not None:
        return refused
    status, body = subscription_answer(
        user,
        request.POST.get("socket_id", ""),
        request.POST.get("channel_name", ""),
        request.GET.get("app"),
    )
    return JsonResponse(body, status=status)


@csrf_exempt
@require_POST
def user_auth_view(request: HttpRequest) -> HttpResponse:
    """Sign ``pusher:signin`` so server-to-user events (``to_users``) reach this user."""
    user, refused = _authenticate(request)
    if refused is not None:
        return refused
    socket_id = request.POST.get("socket_id", "")
    if not socket_id:
        return _error(400, "socket_id is required.")
    if problem := _socket_id_problem(socket_id):
        return _error(400, problem)
    try:
        app = _auth_app(request)
    except UnknownApp as exc:
        return _error(400, str(exc))
    user_data = json.dumps({"id": str(user.pk), "user_info": {"name": user.get_username()}})
    return JsonResponse(
        {"auth": user_auth(app.key, app.secret, socket_id, user_data), "user_data": user_data}
    )


# -- HTTP API (what Pusher's server libraries call) -----------------------------------------


def _verify_api_request(
    request: HttpRequest, app_id: str
) -> tuple[RealtimeApp | None, HttpResponse | None]:
    try:
        app = get_app(id=app_id)
    except UnknownApp as exc:
        return None, _error(404, str(exc))
    params = {k: request.GET[k] for k in request.GET}
    if params.get("auth_key") != app.key:
        return None, _error(401, "auth_key does not match the app's key.")
    try:
        timestamp = int(params.get("auth_timestamp", ""))
    except ValueError:
        return None, _error(401, "auth_timestamp is missing or not an integer.")
    if abs(time.time() - timestamp) > MAX_TIMESTAMP_SKEW:
        return None, _error(401, "auth_timestamp is more than 600 seconds away from now.")
    if request.body:
        md5 = hashlib.md5(request.body, usedforsecurity=False).hexdigest()
        if params.get("body_md5") != md5:
            return None, _error(401, "body_md5 does not match the request body.")
    expected = http_signature(app.secret, request.method or "GET", request.path, params)
    # Bytes: compare_digest refuses non-ASCII text, which must be a 401, not a 500.
    given = str(params.get("auth_signature", "")).encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        return None, _error(401, "Invalid auth_signature.")
    return app, None


def _json_body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except ValueError:
        return None


def _event_message(app: RealtimeApp, body: Any) -> dict[str, Any] | str:
    """The dispatch message of one event body, or an error message."""
    if not isinstance(body, dict):
        return "The body must be a JSON object."
    name = body.get("name")
    if not isinstance(name, str) or not name or len(name) > 200:
        return "name must be a string of 1 to 200 characters."
    data = body.get("data", "")
    if not isinstance(data, str):
        data = json.dumps(data)
    if len(data.encode()) > app_settings.MAX_EVENT_DATA_SIZE:
        return f"data is larger than {app_settings.MAX_EVENT_DATA_SIZE} bytes."
    channels = body.get("channels")
    if channels is None and "channel" in body:
        channels = [body["channel"]]
    if not isinstance(channels, list) or not channels:
        return "channels must be a non-empty list (or give channel)."
    if len(channels) > MAX_CHANNELS:
        return f"At most {MAX_CHANNELS} channels per event."
    try:
        # "#server-to-user-<id>" is how server libraries send to a signed-in user (send_to_user).
        names = [
            c if isinstance(c, str) and SERVER_TO_USER_RE.fullmatch(c) else validate_channel_name(c)
            for c in channels
        ]
    except InvalidChannelName as exc:
        return str(exc)
    items = [[c, event_frame(name, c, data)] for c in names]
    return {"app": app.id, "items": items, "except": body.get("socket_id") or None}


@csrf_exempt
@require_POST
async def events_view(request: HttpRequest, app_id: str) -> HttpResponse:
    app, refused = _verify_api_request(request, app_id)
    if refused is not None:
        return refused
    assert app is not None
    message = _event_message(app, _json_body(request))
    if isinstance(message, str):
        return _error(400, message)
    await remember(app.id, message["items"])
    await publish(message)
    return JsonResponse({})


@csrf_exempt
@require_POST
async def batch_events_view(request: HttpRequest, app_id: str) -> HttpResponse:
    app, refused = _verify_api_request(request, app_id)
    if refused is not None:
        return refused
    assert app is not None
    body = _json_body(request)
    batch = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(batch, list) or not batch:
        return _error(400, "batch must be a non-empty list of events.")
    if len(batch) > MAX_BATCH:
        return _error(400, f"At most {MAX_BATCH} events per batch.")
    messages = []
    for index, entry in enumerate(batch):
        message = _event_message(app, entry)
        if isinstance(message, str):
            return _error(400, f"batch[{index}]: {message}")
        messages.append(message)
    for message in messages:
        await remember(app.id, message["items"])
        await publish(message)
    return JsonResponse({"batch": [{} for _ in messages]})


def _info(request: HttpRequest) -> set[str]:
    return {i for i in request.GET.get("info", "").split(",") if i}


@require_GET
async def channels_view(request: HttpRequest, app_id: str) -> HttpResponse:
    app, refused = _verify_api_request(request, app_id)
    if refused is not None:
        return refused
    assert app is not None
    state = (await get_hub()).state
    prefix = request.GET.get("filter_by_prefix", "")
    try:
        channels = await queries.channels_info(state, app.id, prefix, _info(request))
    except queries.ChannelQueryError as exc:
        return _error(400, str(exc))
    return JsonResponse({"channels": channels})


@require_GET
async def channel_view(request: HttpRequest, app_id: str, channel: str) -> HttpResponse:
    app, refused = _verify_api_request(request, app_id)
    if refused is not None:
        return refused
    assert app is not None
    state = (await get_hub()).state
    try:
        return JsonResponse(await queries.channel_info(state, app.id, channel, _info(request)))
    except queries.ChannelQueryError as exc:
        return _error(400, str(exc))


@require_GET
async def channel_users_view(request: HttpRequest, app_id: str, channel: str) -> HttpResponse:
    app, refused = _verify_api_request(request, app_id)
    if refused is not None:
        return refused
    assert app is not None
    state = (await get_hub()).state
    try:
        users = await queries.channel_users(state, app.id, channel)
    except queries.ChannelQueryError as exc:
        return _error(400, str(exc))
    return JsonResponse({"users": [{"id": uid} for uid in users]})


@csrf_exempt
@require_POST
async def terminate_user_view(
    request: HttpRequest, user_id: str, app_id: str | None = None
) -> HttpResponse:
    """End every connection signed in as ``user_id``.

    The official Python library posts to ``/users/<id>/terminate_connections`` without the
    ``/apps/<id>`` prefix; the app is then the one whose key signed the request.
    """
    if app_id is None:
        try:
            app_id = get_app(key=request.GET.get("auth_key", "")).id
        except UnknownApp as exc:
            return _error(401, str(exc))
    app, refused = _verify_api_request(request, app_id)
    if refused is not None:
        return refused
    assert app is not None
    await publish({"app": app.id, "kind": "terminate", "user_id": user_id})
    return JsonResponse({})
