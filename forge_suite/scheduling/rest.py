"""The jobs endpoints of the API (mounted under ``jobs/`` by :mod:`forge_suite.api.urls`).

``GET runs/`` (job history, newest first, cursor-paginated, ``?state=``, ``?task=``,
``?queue=``), ``GET failed/``, ``POST failed/{id}/retry/``, ``DELETE failed/{id}/``,
``GET schedules/``, ``POST schedules/{name}/run/``.
Scopes ``jobs:read`` / ``jobs:write``; session users need the models' view/change permissions.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from forge_suite.api.views import ForgeApiMixin, Unavailable
from forge_suite.scheduling.exceptions import (
    BrokerNotConfigured,
    BrokerUnavailable,
    FailedJobNotFound,
    SchedulingError,
    UnknownScheduledEvent,
    UnknownTask,
)
from forge_suite.scheduling.failed import forget_failed, retry_failed
from forge_suite.scheduling.models import FailedJob, JobRun, JobState
from forge_suite.scheduling.publish import send_task
from forge_suite.scheduling.scheduler import RUNNER_TASK, get_schedule, run_event

__all__ = ["FailedJobSerializer", "JobRunSerializer", "urlpatterns"]


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
            raise Unavailable(str(exc)) from exc
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)

    def perform_destroy(self, instance: FailedJob) -> None:
        try:
            forget_failed(instance)
        except FailedJobNotFound as exc:
            raise NotFound(str(exc)) from exc


class ScheduleSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    description = serializers.CharField()
    timing = serializers.CharField(help_text="cron fields or the interval")
    timezone = serializers.CharField()
    queue = serializers.CharField(allow_null=True)
    next_run = serializers.DateTimeField()


class ScheduleViewSet(ForgeApiMixin, viewsets.ViewSet):
    """The scheduled events (``schedule.py`` of every app), and running one now."""

    lookup_field = "name"
    lookup_value_regex = "[^/]+"
    read_scopes = ("jobs:read",)
    write_scopes = ("jobs:write",)
    read_permissions = ("django_celery_beat.view_periodictask",)
    write_permissions = ("django_celery_beat.change_periodictask",)
    pagination_class = None

    @extend_schema(responses={200: ScheduleSerializer(many=True)})
    def list(self, request: Request) -> Response:
        rows = [
            {
                "name": event.name,
                "description": event.description,
                "timing": event.timing(),
                "timezone": str(event.tz),
                "queue": event.queue,
                "next_run": event.next_run(),
            }
            for event in get_schedule()
        ]
        return Response(ScheduleSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "ScheduleRun",
                {
                    "task_id": serializers.CharField(required=False),
                    "status": serializers.CharField(),
                },
            )
        },
    )
    @action(detail=True, methods=["post"])
    def run(self, request: Request, name: str | None = None) -> Response:
        """Run the event now, conditions and time windows aside: on a worker when a broker is
        configured, else in this process."""
        from forge_suite.core.celery import is_eager

        try:
            event = get_schedule().get(str(name))
        except UnknownScheduledEvent as exc:
            raise NotFound(str(exc)) from exc
        if is_eager():
            outcome = run_event(event, force=True)
            return Response({"status": outcome.status}, status=status.HTTP_202_ACCEPTED)
        options: dict[str, Any] = {"queue": event.queue} if event.queue else {}
        try:
            result = send_task(RUNNER_TASK, args=[event.name], **options)
        except SchedulingError as exc:
            raise Unavailable(str(exc)) from exc
        return Response(
            {"task_id": str(result.id), "status": "sent"}, status=status.HTTP_202_ACCEPTED
        )


router = SimpleRouter()
router.register("runs", JobRunViewSet, basename="jobrun")
router.register("failed", FailedJobViewSet, basename="failedjob")
router.register("schedules", ScheduleViewSet, basename="schedule")
urlpatterns = router.urls
