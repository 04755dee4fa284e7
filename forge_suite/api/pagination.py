"""Cursor pagination for the large lists (job runs, failed jobs, events)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination

from forge_suite.api.conf import app_settings

__all__ = ["ForgeCursorPagination"]


class ForgeCursorPagination(CursorPagination):
    """Opaque ``?cursor=`` links, stable under inserts; ``?page_size=`` up to MAX_PAGE_SIZE."""

    page_size_query_param = "page_size"
    ordering = "-id"

    def get_page_size(self, request: Any) -> int | None:
        self.page_size = int(app_settings.PAGE_SIZE)
        self.max_page_size = int(app_settings.MAX_PAGE_SIZE)
        return super().get_page_size(request)

    def decode_cursor(self, request: Any) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:  # DRF answers 404; a malformed parameter is a 400
            raise ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc
