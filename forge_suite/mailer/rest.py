"""The notification inbox in the suite's API (mounted under ``notifications/``).

The same inbox as :mod:`forge_suite.mailer.api` (``GET``, ``?unread=1``, ``POST {id}/read/``,
``POST read-all/``), with the API's authentication, scopes (``notifications:read`` /
``notifications:write``), cursor pagination and rate limit. It needs a user: a
client-credentials token (no user) gets 403.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.routers import SimpleRouter

from forge_suite.api.pagination import ForgeCursorPagination
from forge_suite.api.views import ForgeApiMixin
from forge_suite.mailer.api import NotificationViewSet

__all__ = ["InboxViewSet", "urlpatterns"]


class InboxPagination(ForgeCursorPagination):
    ordering = "-created_at"  # ids are UUIDs


class InboxViewSet(ForgeApiMixin, NotificationViewSet):  # type: ignore[misc]
    """The notifications of the token's (or session's) user, newest first."""

    pagination_class = InboxPagination
    user_scoped = True  # the user's own inbox/files/usage/subscriptions
    read_scopes = ("notifications:read",)
    write_scopes = ("notifications:write",)

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        if not getattr(request.user, "is_authenticated", False):
            self.permission_denied(
                request, message="The inbox needs a token issued to a user (or a session)."
            )


router = SimpleRouter()
router.register("", InboxViewSet, basename="inbox")
urlpatterns = router.urls
