"""Admin: read-only job history, failed jobs with retry, and the jobs dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.control import revoke_job
from forge_suite.scheduling.exceptions import BrokerUnavailable, SchedulingError
from forge_suite.scheduling.failed import retry_failed
from forge_suite.scheduling.models import FailedJob, JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    change_list_template = "admin/forge_scheduling/jobrun/change_list.html"
    list_display = (
        "task_name",
        "state",
        "queue",
        "attempt",
        "started_at",
        "runtime",
        "wait_time",
        "worker",
    )
    list_filter = ("state", "queue", "eager", "started_at")
    search_fields = ("task_name", "task_id", "args_summary", "exception", "worker")
    date_hierarchy = "started_at"
    list_select_related = ()
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="forge_scheduling_dashboard",
            ),
            path(
                "dashboard/revoke/<int:pk>/",
                self.admin_site.admin_view(require_POST(self.revoke_view)),
                name="forge_scheduling_dashboard_revoke",
            ),
            path(
                "dashboard/retry/<int:pk>/",
                self.admin_site.admin_view(require_POST(self.retry_view)),
                name="forge_scheduling_dashboard_retry",
            ),
        ]
        return urls + super().get_urls()

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        from forge_suite.scheduling.dashboard import dashboard_context

        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        try:
            window = int(request.GET.get("window", app_settings.DASHBOARD_WINDOW_MINUTES))
        except ValueError:
            window = app_settings.DASHBOARD_WINDOW_MINUTES
        window = max(1, min(window, 60 * 24 * 7))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Jobs dashboard"),
            "opts": self.model._meta,
            "windows": [15, 60, 360, 1440],
            **dashboard_context(window),
        }
        return TemplateResponse(request, "admin/forge_scheduling/dashboard.html", context)

    def revoke_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Revoke the job of run ``pk``; ``terminate=1`` also kills it if it is running."""
        if not request.user.has_perm("forge_scheduling.change_jobrun"):
            return HttpResponse(status=403)
        run = get_object_or_404(JobRun, pk=pk)
        terminate = request.POST.get("terminate") == "1"
        try:
            revoke_job(run.task_id, terminate=terminate)
        except SchedulingError as exc:
            messages.error(request, str(exc))
        else:
            verb = "terminated" if terminate else "revoked"
            messages.success(request, f"Job {run.task_name} [{run.task_id}] {verb}.")
        return HttpResponseRedirect(reverse("admin:forge_scheduling_dashboard"))

    def retry_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("forge_scheduling.change_failedjob"):
            return HttpResponse(status=403)
        failed = get_object_or_404(FailedJob, pk=pk)
        try:
            task_id = retry_failed(failed)
        except SchedulingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Failed job {pk} ({failed.task_name}) retried as {task_id}.")
        return HttpResponseRedirect(reverse("admin:forge_scheduling_dashboard"))


@admin.register(FailedJob)
class FailedJobAdmin(admin.ModelAdmin):
    list_display = ("task_name", "queue", "failed_at", "attempts", "exception", "retry_count")
    list_filter = ("queue", "task_name", "failed_at")
    search_fields = ("task_name", "task_id", "exception")
    date_hierarchy = "failed_at"
    readonly_fields = [f.name for f in FailedJob._meta.fields]
    actions = ["retry_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Retry selected failed jobs"), permissions=["change"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[FailedJob]) -> None:
        done = 0
        for failed in queryset:
            try:
                retry_failed(failed)
            except BrokerUnavailable as exc:
                self.message_user(request, str(exc), messages.ERROR)
                break  # the others would wait for the same broker
            except SchedulingError as exc:
                self.message_user(request, f"Failed job {failed.pk}: {exc}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} failed job(s) dispatched again.", messages.SUCCESS)
