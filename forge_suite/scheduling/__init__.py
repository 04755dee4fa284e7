"""Background jobs, schedules, history and failed jobs."""
