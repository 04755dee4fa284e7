"""A Celery job that broadcasts: the chat bot answers a little later, from a worker."""

from __future__ import annotations

from celery import shared_task

from forge_suite.realtime import broadcast


@shared_task(name="livechat.bot_reply")
def bot_reply(room: str, asked_by: str) -> None:
    broadcast(
        "message", {"user": "Bot", "text": f"Hello {asked_by}, this came from a Celery job."}
    ).to_channel(f"presence-chat.{room}")
