"""Mail demo pages: sign up, place an order, send the newsletter, the notification bell."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from example_project.maildemo.mailables import Newsletter, OrderConfirmation, WelcomeMail
from example_project.maildemo.notifications import OrderShipped
from example_project.shop.models import Order
from forge_suite.mailer import notify, send_campaign
from forge_suite.mailer.models import DatabaseNotification, OutboundEmail
from forge_suite.realtime.registry import default_app


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "recent": OutboundEmail.objects.all()[:10],
        "realtime_key": default_app().key,
        "unread": (
            DatabaseNotification.objects.filter(user=request.user, read_at__isnull=True)[:10]
            if request.user.is_authenticated
            else []
        ),
    }
    return render(request, "maildemo/home.html", context)


@require_POST
def signup(request: HttpRequest) -> HttpResponse:
    """Create a demo account and queue the welcome mail (sent once the account commits)."""
    email = request.POST.get("email", "").strip().lower()
    if "@" not in email or len(email) > 200:
        return HttpResponse("Enter an email address.", status=400, content_type="text/plain")
    users = get_user_model().objects
    if users.filter(username=email).exists():
        return HttpResponse("That address already has an account.", status=400)
    with transaction.atomic():
        user = users.create_user(username=email, email=email, password=secrets.token_urlsafe())
        WelcomeMail(name=email.split("@")[0]).to(user).queue()
    login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return redirect("maildemo:home")


@login_required
@require_POST
def place_order(request: HttpRequest) -> HttpResponse:
    """An order and its confirmation (with a PDF invoice), queued when the order commits."""
    with transaction.atomic():
        order = Order.objects.create(
            customer=request.user,
            number=f"DEMO-{secrets.token_hex(3).upper()}",
            total=Decimal("18.00"),
        )
        OrderConfirmation(
            number=order.number, total=str(order.total), lines=[["Ceramic mug", 2, "9.00"]]
        ).to(request.user).queue()
    return redirect("maildemo:home")


@login_required
@require_POST
def ship_order(request: HttpRequest) -> HttpResponse:
    """Ring the bell: a database notification plus a live broadcast to the user's channel."""
    order = Order.objects.filter(customer=request.user).first()
    if order is None:
        return HttpResponse("Place an order first.", status=400, content_type="text/plain")
    notify(request.user, OrderShipped(number=order.number))
    return redirect("maildemo:home")


@login_required
@require_POST
def send_newsletter(request: HttpRequest) -> HttpResponse:
    """Staff only: the newsletter to every user with an address, one message each."""
    if not request.user.is_staff:
        return HttpResponse("Staff only.", status=403, content_type="text/plain")
    recipients = get_user_model().objects.exclude(email="").order_by("pk")
    send_campaign(
        Newsletter,
        recipients,
        name="Demo newsletter",
        context=lambda user: {"headline": f"Hello {user.get_username()}"},
    )
    return redirect("maildemo:home")
