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
    (
        "Realtime live page",
        "/broadcasting/live",
        "Connections per process, busiest channels and presence members (staff only).",
    ),
    (
        "Gallery and uploads",
        "/gallery/",
        "Files: resumable Uppy uploads over tus, image variants, a private file by signed URL.",
    ),
    (
        "Mail and notifications",
        "/mail-demo/",
        "Mailer: welcome mail, order confirmation with a PDF, a newsletter, a notification bell.",
    ),
    (
        "Event-sourced orders",
        "/admin/demo_orders/ordersummary/",
        "Eventstore: an order aggregate, its summary projection and a webhook observer.",
    ),
]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "example_site/home.html", {"demos": DEMOS})
