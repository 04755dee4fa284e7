"""Admin pages: the Mailables with HTML/text preview, a message preview, the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin

from forge_suite.mailer.mailable import Mailable, registry
from forge_suite.mailer.models import OutboundEmail


def preview_of(path: str) -> tuple[type[Mailable], Any]:
    """Render Mailable ``path`` with its ``preview_context`` (sample data)."""
    cls = registry.get(path)
    if cls is None:
        raise Http404(f"no Mailable {path!r}")
    mailable = cls(**cls.preview_context).to("preview@example.com")
    return cls, mailable.render({"unsubscribe_url": "#", "preferences_url": "#"})


class MailablePreviewView(View):
    """Lists the project's Mailables; ``?mailable=path&part=html|text`` previews one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        chosen = request.GET.get("mailable")
        part = request.GET.get("part")
        if chosen and part in ("html", "text"):
            _, rendered = preview_of(chosen)
            if part == "html":
                return xframe_options_sameorigin(lambda r: HttpResponse(rendered.html))(request)
            return HttpResponse(rendered.text, content_type="text/plain; charset=utf-8")
        context = {
            **admin.site.each_context(request),
            "title": "Mailables",
            "mailables": sorted(registry),
            "chosen": chosen if chosen in registry else None,
        }
        if context["chosen"]:
            _cls, rendered = preview_of(chosen or "")
            context["subject"] = rendered.subject
            context["text"] = rendered.text
        return TemplateResponse(request, "forge_mailer/admin/mailables.html", context)


@method_decorator(xframe_options_sameorigin, name="dispatch")
class _Preview(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = get_object_or_404(OutboundEmail, pk=pk)
        if row.html:
            return HttpResponse(row.html)
        return HttpResponse(row.text, content_type="text/plain; charset=utf-8")


message_preview = _Preview.as_view()


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Counts by status and by mailer, and sent per hour over the last day."""
    since = timezone.now() - dt.timedelta(hours=24)
    rows = OutboundEmail.objects.all()
    by_status = list(rows.values("status").annotate(n=Count("id")).order_by("status"))
    by_mailer = list(
        rows.values("mailer_used", "status").annotate(n=Count("id")).order_by("mailer_used")
    )
    hourly = list(
        rows.filter(sent_at__gte=since)
        .annotate(hour=TruncHour("sent_at"))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
    )
    context = {
        **admin.site.each_context(request),
        "title": "Mail dashboard",
        "by_status": by_status,
        "by_mailer": by_mailer,
        "hourly": hourly,
    }
    return TemplateResponse(request, "forge_mailer/admin/dashboard.html", context)
