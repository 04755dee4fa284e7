"""A schedule module for the slot tests: each run appends to ``RUNS``."""

from __future__ import annotations

from forge_suite.scheduling import Schedule

RUNS: list[str] = []


def daily_report() -> None:
    RUNS.append("daily")


def every_ten_minutes() -> None:
    RUNS.append("interval")


def schedule(schedule: Schedule) -> None:
    schedule.call(daily_report).daily_at("03:00").named("tests.slot_daily")
    schedule.call(every_ten_minutes).every(minutes=10).named("tests.slot_interval")
