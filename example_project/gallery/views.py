"""The gallery demo: upload with Uppy over tus, see your images' variants, share private links."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from forge_suite.files.conf import app_settings
from forge_suite.files.models import StoredFile

LOGIN = "admin:login"


@login_required(login_url=LOGIN)
@ensure_csrf_cookie
def upload_page(request: HttpRequest) -> HttpResponse:
    """Uppy's Dashboard with the tus plugin: progress, pause and resume; with ``?via=s3`` (on
    an S3 disk) the ``@uppy/aws-s3`` plugin, which sends the parts straight to S3."""
    try:
        chunk = max(64 * 1024, int(request.GET.get("chunk", 5 * 1024 * 1024)))
        if request.GET.get("via") == "s3":
            chunk = max(chunk, 5 * 1024 * 1024)  # S3's smallest part
    except ValueError:
        chunk = 5 * 1024 * 1024
    config = {
        "endpoint": reverse("forge_files:tus"),
        "chunkSize": chunk,
        "maxFileSize": app_settings.TUS_MAX_SIZE,
        "allowedTypes": list(app_settings.ALLOWED_TYPES),
        "galleryUrl": reverse("gallery:index"),
        # @uppy/aws-s3 appends s3/multipart, s3/params, ... to this
        "direct": reverse("forge_files:s3-params").removesuffix("/s3/params")
        if request.GET.get("via") == "s3"
        else None,
    }
    return render(request, "gallery/upload.html", {"config": config})


@login_required(login_url=LOGIN)
def gallery(request: HttpRequest) -> HttpResponse:
    """The user's files: thumbnails (variants), downloads and 10-minute signed links."""
    files = StoredFile.objects.filter(owner=request.user)[:100]
    items = [
        {
            "file": f,
            "thumb": f.variant_url("thumb", 600) if f.is_image else None,
            "download": reverse("forge_files:download", args=[f.key]),
            "signed": f.url(600),
        }
        for f in files
    ]
    return render(request, "gallery/gallery.html", {"items": items})
