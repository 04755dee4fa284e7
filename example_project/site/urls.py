from __future__ import annotations

from django.urls import path

from example_project.site import views

app_name = "example_site"
urlpatterns = [path("", views.home, name="home")]
