from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class SchedulingConfig(AppConfig):
    name = "forge_suite.scheduling"
    label = "forge_scheduling"
    verbose_name = "Scheduling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Explicit registration (see docs/contributing.md): settings section, checks, the
        # Celery receivers of the history, the heartbeat and the scheduled events' jobs, and
        # the app's Celery tasks (defined by importing ``tasks``).
        from forge_suite.scheduling import checks as scheduling_checks
        from forge_suite.scheduling import conf, heartbeat, history, scheduler, tasks

        del conf  # imported to register FORGE["SCHEDULING"]
        checks.register(scheduling_checks.check_beat_installed, checks.Tags.compatibility)
        checks.register(scheduling_checks.check_schedule_loads, checks.Tags.compatibility)
        checks.register(scheduling_checks.check_heartbeat_settings, checks.Tags.compatibility)
        history.connect()
        heartbeat.connect()
        tasks.connect()
        scheduler.connect()
