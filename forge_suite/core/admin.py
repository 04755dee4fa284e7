"""Admin bases shared by the apps: read-only model admins, and pages in the admin.

A page in the admin is an unmanaged model whose changelist is a page of its own.

The apps show live reports (health, realtime connections) on the admin index this way, like
Django's own apps show models: the model gives the entry, its name and a view permission, and
:class:`PageAdmin` renders a template instead of a list. Nothing can be added, changed or
deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

__all__ = ["PageAdmin", "ReadOnlyAdmin"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that can be viewed, never added, changed or deleted in the admin (a log, a store)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PageAdmin(ReadOnlyAdmin):
    """Admin whose changelist renders ``template`` with :meth:`page_context`.

    Subclasses set ``template`` and ``title`` and return the page's own context from
    :meth:`page_context`; a ``"status"`` key in it sets the HTTP status of the answer.
    """

    template: str = ""
    title: str = ""

    def page_context(self, request: HttpRequest) -> dict[str, Any]:
        """The page's own context; ``status`` (optional) is the HTTP status."""
        return {}

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = self.page_context(request)
        status = page.pop("status", 200)
        context = {
            **self.admin_site.each_context(request),
            "title": self.title,
            "opts": self.model._meta,
            **page,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.template, context, status=status)
