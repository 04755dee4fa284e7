"""URLs of the mailer: ``path("mail/", include("forge_suite.mailer.urls"))``."""

from __future__ import annotations

from django.urls import path

from forge_suite.mailer import views

app_name = "forge_mailer"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", views.preferences, name="preferences"),
    path("o/<str:token>.gif", views.open_pixel, name="open"),
    path("c/<str:token>/", views.click, name="click"),
]
