"""``path("", include("forge_suite.realtime.urls"))``: auth endpoints and the HTTP API."""

from __future__ import annotations

from django.urls import path

from forge_suite.realtime import live, views

app_name = "forge_realtime"
urlpatterns = [
    path("broadcasting/auth", views.channel_auth_view, name="auth"),
    path("broadcasting/user-auth", views.user_auth_view, name="user-auth"),
    path("broadcasting/live", live.live_view, name="live"),
    path("apps/<str:app_id>/events", views.events_view, name="events"),
    path("apps/<str:app_id>/batch_events", views.batch_events_view, name="batch-events"),
    path("apps/<str:app_id>/channels", views.channels_view, name="channels"),
    path("apps/<str:app_id>/channels/<str:channel>", views.channel_view, name="channel"),
    path(
        "apps/<str:app_id>/channels/<str:channel>/users",
        views.channel_users_view,
        name="channel-users",
    ),
    path(
        "apps/<str:app_id>/users/<str:user_id>/terminate_connections",
        views.terminate_user_view,
        name="terminate",
    ),
    path(
        "users/<str:user_id>/terminate_connections",
        views.terminate_user_view,
        name="terminate-by-key",
    ),
]
