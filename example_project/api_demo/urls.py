from __future__ import annotations

from django.urls import path

from example_project.api_demo import views

app_name = "api_demo"
urlpatterns = [
    path("", views.ping, name="ping"),
    path("quota/", views.quota, name="quota"),
]
