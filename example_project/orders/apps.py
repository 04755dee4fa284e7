from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "example_project.orders"
    label = "demo_orders"
    verbose_name = "Demo event-sourced orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Event classes, the projection and the observer register themselves on import.
        from example_project.orders import domain, observers, projections  # noqa: F401
