"""URLs of the files upload benchmark: the app's endpoints plus Django's plain multipart view."""

from __future__ import annotations

from django.core.files.storage import storages
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def plain_multipart(request: HttpRequest) -> JsonResponse:
    """What a Django project does without forge: request.FILES (Django's default upload
    handlers: memory up to 2.5 MB, then a temporary file) saved to the disk."""
    uploaded = request.FILES["file"]
    name = storages[request.GET.get("disk", "default")].save(f"plain/{uploaded.name}", uploaded)
    return JsonResponse({"name": name, "size": uploaded.size})


urlpatterns = [
    path("files/", include("forge_suite.files.urls")),
    path("plain/upload", plain_multipart),
]
