"""The jobs endpoints of the API (mounted under ``jobs/`` by :mod:`forge_suite.api.urls`).

``GET runs/`` (job history, newest first, cursor-paginated, ``?state=``, ``?task=``,
``?queue=``), ``GET failed/``, ``POST failed/{id}/retry/``, ``DELETE failed/{id}/``.
Scopes ``jobs:read`` / ``jobs:write``; session users need the models' view/change permissions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from forge_suite.api.views import ForgeApiMixin
from forge_suite.scheduling.exceptions import (
    BrokerNotConfigured,
    BrokerUnavailable,
    FailedJobNotFound,
    UnknownTask,
)
from forge_suite.scheduling.failed import forget_failed, retry_failed
from forge_suite.scheduling.models import FailedJob, JobRun, JobState

__all__ = ["FailedJobSerializer", "JobRunSerializer", "urlpatterns"]


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The job broker cannot be reached; nothing was changed."
    default_code = "broker_unavailable"


class JobRunSerializer(serializers.ModelSerializer[JobRun]):
    class Meta:
        model = JobRun
        fields = [
            "id",
            "task_name",
            "task_id",
            "queue",
            "args_summary",
            "state",
            "attempt",
            "worker",
            "enqueued_at",
            "started_at",
            "finished_at",
            "runtime",
            "wait_time",
            "exception",
            "eager",
            "retry_of",
        ]
        read_only_fields = fields


class FailedJobSerializer(serializers.ModelSerializer[FailedJob]):
    class Meta:
        model = FailedJob
        fields = [
            "id",
            "task_name",
            "task_id",
            "queue",
            "args",
            "kwargs",
            "exception",
            "traceback",
            "attempts",
            "worker",
            "failed_at",
            "retried_at",
            "retry_task_id",
            "retry_count",
        ]
        read_only_fields = fields


_FILTERS = {"state": "state", "task": "task_name", "queue": "queue"}


@extend_schema(
    parameters=[
        OpenApiParameter("state", str, enum=[s.value for s in JobState]),
        OpenApiParameter("task", str, description="exact task name"),
        OpenApiParameter("queue", str),
    ]
)
class JobRunViewSet(ForgeApiMixin, viewsets.ReadOnlyModelViewSet[JobRun]):
    """Job history: one row per attempt of every Celery task."""

    serializer_class = JobRunSerializer
    read_scopes = ("jobs:read",)
    read_permissions = ("forge_scheduling.view_jobrun",)

    def get_queryset(self) -> QuerySet[JobRun]:
        queryset = JobRun.objects.all()
        for param, field in _FILTERS.items():
            value = self.request.query_params.get(param)
            if value is None:
                continue
            if param == "state" and value not in JobState.values:
                raise ValidationError({"state": [f"one of {', '.join(JobState.values)}"]})
            queryset = queryset.filter(**{field: value})
        return queryset


class FailedJobViewSet(
    ForgeApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[FailedJob],
):
    """Jobs that used up their retries; retry one with its original arguments, or forget it."""

    serializer_class = FailedJobSerializer
    queryset = FailedJob.objects.all()
    read_scopes = ("jobs:read",)
    write_scopes = ("jobs:write",)
    read_permissions = ("forge_scheduling.view_failedjob",)
    write_permissions = ("forge_scheduling.change_failedjob",)

    @extend_schema(
        request=None,
        responses={202: inline_serializer("RetriedJob", {"task_id": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: Any = None) -> Response:
        failed = self.get_object()
        try:
            task_id = retry_failed(failed)
        except UnknownTask as exc:
            raise ValidationError({"task_name": [str(exc)]}) from exc
        except (BrokerUnavailable, BrokerNotConfigured) as exc:
            raise ServiceUnavailable(str(exc)) from exc
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)

    def perform_destroy(self, instance: FailedJob) -> None:
        try:
            forget_failed(instance)
        except FailedJobNotFound as exc:
            raise NotFound(str(exc)) from exc


router = SimpleRouter()
router.register("runs", JobRunViewSet, basename="jobrun")
router.register("failed", FailedJobViewSet, basename="failedjob")
urlpatterns = router.urls
