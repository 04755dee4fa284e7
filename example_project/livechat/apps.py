from __future__ import annotations

from django.apps import AppConfig


class LivechatConfig(AppConfig):
    name = "example_project.livechat"
    label = "example_livechat"
    verbose_name = "Live chat demo"
