"""The live chat demo: presence (who is online), whispers (typing) and broadcasts."""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from example_project.livechat.channels import display_name
from example_project.livechat.tasks import bot_reply
from forge_suite.realtime import broadcast
from forge_suite.realtime.registry import default_app

ROOM_RE = re.compile(r"^[a-z0-9-]{1,40}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")


def chat(request: HttpRequest, room: str = "lobby") -> HttpResponse:
    if not ROOM_RE.match(room):
        return HttpResponse("Room names use a-z, 0-9 and dashes.", status=400)
    if not request.user.is_authenticated:
        return render(request, "livechat/join.html", {"room": room})
    app = default_app()
    config = {
        "key": app.key,
        "room": room,
        "me": display_name(request.user),
        "sendUrl": f"/livechat/{room}/messages",
        "botUrl": f"/livechat/{room}/bot",
    }
    return render(request, "livechat/chat.html", {"config": config, "room": room})


@require_POST
def join(request: HttpRequest, room: str = "lobby") -> HttpResponse:
    """Demo sign-in by name only: creates a passwordless ``chat-<name>`` user."""
    name = request.POST.get("name", "").strip()
    if not NAME_RE.match(name):
        return render(
            request,
            "livechat/join.html",
            {"room": room, "error": "Use 1-30 letters, digits, _ or -."},
            status=400,
        )
    user, created = get_user_model().objects.get_or_create(username=f"chat-{name}")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return redirect(f"/livechat/{room}/")


@require_POST
def send_message(request: HttpRequest, room: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Join the chat first."}, status=403)
    try:
        text = str(json.loads(request.body)["text"]).strip()
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": 'Send JSON {"text": "..."}.'}, status=400)
    if not text or len(text) > 500:
        return JsonResponse({"error": "A message has 1 to 500 characters."}, status=400)
    message = {"user": display_name(request.user), "text": text}
    # The sender shows its own message at once; everyone else gets the broadcast.
    broadcast("message", message).to_others(request.headers.get("X-Socket-ID")).to_channel(
        f"presence-chat.{room}"
    )
    return JsonResponse(message)


@require_POST
def ask_bot(request: HttpRequest, room: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Join the chat first."}, status=403)
    bot_reply.delay(room, display_name(request.user))
    return JsonResponse({"queued": True})
