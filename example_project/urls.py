from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api-demo/", include("example_project.api_demo.urls")),
    path("", include("forge_suite.observability.urls")),  # /health/..., /metrics
    path("", include("example_project.site.urls")),
    path("livechat/", include("example_project.livechat.urls")),
    path("", include("forge_suite.realtime.urls")),
    # mailer: public links, ESP webhooks, the inbox API and the demo
    path("mail/", include("forge_suite.mailer.urls")),
    path("anymail/", include("anymail.urls")),
    path("api/notifications/", include("forge_suite.mailer.api_urls")),
    path("mail-demo/", include("example_project.maildemo.urls")),
    path("files/", include("forge_suite.files.urls")),
    path("gallery/", include("example_project.gallery.urls")),
    path("", include("forge_suite.api.urls")),  # /o/... (OAuth2), /api/v1/... (the API)
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
