"""``path("files/", include("forge_suite.files.urls"))``: downloads, uploads and tus."""

from __future__ import annotations

from django.urls import path

from forge_suite.files import views
from forge_suite.files.tus import views as tus

app_name = "forge_files"
urlpatterns = [
    path("t/<str:token>", views.temporary, name="temporary"),
    path("d/<uuid:key>", views.download, name="download"),
    path("upload", views.upload, name="upload"),
    path("tus/", tus.tus_collection, name="tus"),
    path("tus/<uuid:upload_id>", tus.tus_upload, name="tus-upload"),
]
