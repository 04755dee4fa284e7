"""URLs of the observability tests: the app's endpoints plus a few views to exercise them."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from forge_suite.observability import get_request_id

logger = logging.getLogger("tests.observability.view")

#: Set by the worker fixture: a Celery app publishing to the test broker.
PUBLISHER: dict[str, Any] = {}


def hello(request: HttpRequest) -> JsonResponse:
    logger.info("view says hi")
    return JsonResponse({"request_id": get_request_id()})


async def ahello(request: HttpRequest) -> JsonResponse:
    logger.info("async view says hi")
    return JsonResponse({"request_id": get_request_id()})


def enqueue(request: HttpRequest) -> HttpResponse:
    logger.info("view enqueues a job")
    app = PUBLISHER["app"]
    result = app.send_task(
        "forge_obs_tests.log_in_job", args=[request.GET["marker"]], queue=PUBLISHER["queue"]
    )
    return HttpResponse(result.id)


def enqueue_configured(request: HttpRequest) -> HttpResponse:
    """Publish through the project's own Celery app (servers in a subprocess have no
    PUBLISHER); the queue comes from the environment."""
    import os

    from forge_suite.core.celery import app

    logger.info("view enqueues a job")
    result = app.send_task(
        "forge_obs_tests.log_in_job",
        args=[request.GET["marker"]],
        queue=os.environ["FORGE_OBS_QUEUE"],
    )
    return HttpResponse(result.id)


def broadcast_event(request: HttpRequest) -> HttpResponse:
    from forge_suite.realtime import broadcast

    broadcast("traced", {"marker": request.GET["marker"]}).to_channel("news")
    return HttpResponse("ok")


@csrf_exempt
def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"boom for {request.POST.get('username')}")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("forge_suite.observability.urls")),
    path("t/hello", hello),
    path("t/ahello", ahello),
    path("t/enqueue", enqueue),
    path("t/enqueue-configured", enqueue_configured),
    path("t/broadcast", broadcast_event),
    path("t/boom", boom),
]
