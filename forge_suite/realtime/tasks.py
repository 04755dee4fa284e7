"""Celery task discovery: registers the webhook delivery job when scheduling is installed."""

from __future__ import annotations

from forge_suite.realtime.webhooks import delivery_job

deliver_webhook_job = delivery_job()
