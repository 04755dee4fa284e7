from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: Demo pages shown on the home page; each app's demo adds itself here.
DEMOS: list[tuple[str, str, str]] = [
    ("Admin", "/admin/", "Every Forge Suite app in the Django admin."),
    (
        "Live chat",
        "/livechat/",
        "Realtime: laravel-echo + pusher-js with presence, typing whispers and a Celery broadcast.",
    ),
]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "example_site/home.html", {"demos": DEMOS})
