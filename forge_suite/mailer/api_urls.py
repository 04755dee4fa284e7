"""URLs of the notification inbox API (needs the ``api`` extra: djangorestframework)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from forge_suite.mailer.api import NotificationViewSet

app_name = "forge_mailer_api"

router = SimpleRouter()
router.register("", NotificationViewSet, basename="notification")
urlpatterns = router.urls
