from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

#: Demo pages shown on the home page; each app's demo adds itself here.
DEMOS: list[tuple[str, str, str]] = [
    ("Admin", "/admin/", "Every Forge Suite app in the Django admin."),
    ("Rate-limited API", "/api-demo/", "GCRA limit with RateLimit headers and a 429."),
    ("Health", "/health/", "Health of every configured dependency (JSON at /health/ready)."),
    (
        "Demo data",
        "/admin/blog/post/",
        "Users, posts, comments, chat rooms and shop orders made by manage.py db_seed.",
    ),
    (
        "Jobs dashboard",
        "/admin/forge_scheduling/jobrun/dashboard/",
        "Throughput, runtimes, failed jobs with retry and the schedules (housekeeping demo).",
    ),
    (
        "Live chat",
        "/livechat/",
        "Realtime: laravel-echo + pusher-js with presence, typing whispers and a Celery broadcast.",
    ),
]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "example_site/home.html", {"demos": DEMOS})
