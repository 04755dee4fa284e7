"""Public endpoints: one-click unsubscribe (RFC 8058), preferences, open pixel, click redirect.

None needs a login: the signed token in the URL identifies the message, so the recipient and
the list. Unsubscribing happens only on POST (mail scanners prefetch GET links).
"""

from __future__ import annotations

import base64
from email.utils import parseaddr

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from forge_suite.mailer import signals
from forge_suite.mailer.exceptions import InvalidToken
from forge_suite.mailer.links import CLICK_SALT
from forge_suite.mailer.models import OutboundEmail, Unsubscription
from forge_suite.mailer.tokens import unsign_message, unsign_value

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _message(token: str) -> OutboundEmail:
    found = OutboundEmail.objects.filter(uuid=unsign_message(token)).first()
    if found is None:
        raise InvalidToken("this link belongs to no message")
    return found


def _address(message: OutboundEmail) -> str:
    return parseaddr(message.to[0])[1].lower() if message.to else ""


def unsubscribe_address(email: str, list_name: str) -> bool:
    """Record that ``email`` left ``list_name``; True if it was subscribed until now."""
    try:
        _, created = Unsubscription.objects.get_or_create(email=email, list_name=list_name)
    except IntegrityError:  # a concurrent identical request won
        created = False
    if created:
        signals.unsubscribed.send(Unsubscription, email=email, list_name=list_name)
    return created


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """POST: one-click unsubscribe (200, no redirect). GET: a confirmation page."""
    try:
        message = _message(token)
    except InvalidToken as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    email = _address(message)
    if not message.list_name or not email:
        return HttpResponseBadRequest(
            "this message belongs to no mailing list", content_type="text/plain"
        )
    if request.method == "POST":
        unsubscribe_address(email, message.list_name)
        return render(
            request,
            "forge_mailer/unsubscribed.html",
            {"email": email, "list_name": message.list_name},
        )
    return render(
        request,
        "forge_mailer/unsubscribe_confirm.html",
        {"email": email, "list_name": message.list_name, "token": token},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """Per-list preferences of the message's recipient: tick the lists to stay on."""
    from forge_suite.mailer.lists import known_lists

    try:
        message = _message(token)
    except InvalidToken as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    email = _address(message)
    if not email:
        return HttpResponseBadRequest("this message has no recipient", content_type="text/plain")
    lists = known_lists() | ({message.list_name} if message.list_name else set())
    if request.method == "POST":
        keep = set(request.POST.getlist("lists"))
        unknown = keep - lists
        if unknown:
            return HttpResponseBadRequest(
                f"unknown lists: {', '.join(sorted(unknown))}", content_type="text/plain"
            )
        for name in lists - keep:
            unsubscribe_address(email, name)
        Unsubscription.objects.filter(email=email, list_name__in=keep).delete()
    left = set(
        Unsubscription.objects.filter(email=email, list_name__in=lists).values_list(
            "list_name", flat=True
        )
    )
    rows = [{"name": name, "subscribed": name not in left} for name in sorted(lists)]
    return render(
        request,
        "forge_mailer/preferences.html",
        {"email": email, "lists": rows, "saved": request.method == "POST"},
    )


@require_GET
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """A 1x1 GIF that records an ``opened`` event (our own tracking for plain SMTP)."""
    from forge_suite.mailer.tracking import record_event

    try:
        message = _message(token)
    except InvalidToken:
        return HttpResponse(_PIXEL, content_type="image/gif")
    record_event("opened", message=message, recipient=_address(message), esp_name="forge")
    response = HttpResponse(_PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def click(request: HttpRequest, token: str) -> HttpResponse:
    """Record a ``clicked`` event and redirect to the signed target URL."""
    from forge_suite.mailer.tracking import record_event

    try:
        value = unsign_value(token, CLICK_SALT)
        message_hex, target = value.split(" ", 1)
    except (InvalidToken, ValueError):
        return HttpResponseBadRequest(
            "this link is invalid or was changed", content_type="text/plain"
        )
    if not target.startswith(("http://", "https://")):
        return HttpResponseBadRequest("this link is invalid", content_type="text/plain")
    message = OutboundEmail.objects.filter(uuid=message_hex).first()
    record_event(
        "clicked",
        message=message,
        recipient=_address(message) if message else "",
        esp_name="forge",
        click_url=target,
    )
    return HttpResponseRedirect(target)
