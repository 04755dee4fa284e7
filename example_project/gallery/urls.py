from __future__ import annotations

from django.urls import path

from example_project.gallery import views

app_name = "gallery"
urlpatterns = [
    path("", views.gallery, name="index"),
    path("upload/", views.upload_page, name="upload"),
]
