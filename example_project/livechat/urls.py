from __future__ import annotations

from django.urls import path

from example_project.livechat import views

app_name = "livechat"
urlpatterns = [
    path("", views.chat, name="lobby"),
    path("<str:room>/", views.chat, name="room"),
    path("<str:room>/join", views.join, name="join"),
    path("<str:room>/messages", views.send_message, name="send"),
    path("<str:room>/bot", views.ask_bot, name="bot"),
]
