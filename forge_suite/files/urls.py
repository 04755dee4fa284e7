"""``path("files/", include("forge_suite.files.urls"))``: downloads, uploads and tus."""

from __future__ import annotations

from django.urls import path

from forge_suite.files import s3direct, views
from forge_suite.files.tus import views as tus

app_name = "forge_files"
urlpatterns = [
    path("t/<str:token>", views.temporary, name="temporary"),
    path("d/<uuid:key>", views.download, name="download"),
    path("upload", views.upload, name="upload"),
    path("tus/", tus.tus_collection, name="tus"),
    path("tus/<uuid:upload_id>", tus.tus_upload, name="tus-upload"),
    path("s3/params", s3direct.params, name="s3-params"),
    path("s3/multipart", s3direct.multipart, name="s3-multipart"),
    path("s3/multipart/<str:upload_id>", s3direct.multipart_upload, name="s3-multipart-upload"),
    path(
        "s3/multipart/<str:upload_id>/complete",
        s3direct.multipart_complete,
        name="s3-multipart-complete",
    ),
    path(
        "s3/multipart/<str:upload_id>/<int:part_number>",
        s3direct.multipart_part,
        name="s3-multipart-part",
    ),
]
