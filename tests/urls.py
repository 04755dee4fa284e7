from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("example_project.site.urls")),
    path("", include("forge_suite.realtime.urls")),
    path("files/", include("forge_suite.files.urls")),
]
if apps.is_installed("example_project.gallery"):
    urlpatterns += [path("gallery/", include("example_project.gallery.urls"))]

# mailer (left out with the app in the core-only run)
if apps.is_installed("forge_suite.mailer"):
    urlpatterns += [
        path("mail/", include("forge_suite.mailer.urls")),
        path("anymail/", include("anymail.urls")),
        path("api/notifications/", include("forge_suite.mailer.api_urls")),
    ]
if apps.is_installed("example_project.maildemo"):
    urlpatterns += [path("mail-demo/", include("example_project.maildemo.urls"))]

if apps.is_installed("forge_suite.api"):
    urlpatterns += [path("", include("forge_suite.api.urls"))]
