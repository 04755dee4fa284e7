"""The admin's live page reads the shared state of every server process."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

APP = {"id": "3", "key": "live-key", "secret": "live-secret", "name": "shop"}


def test_staff_see_processes_busiest_channels_and_members(
    settings: Any, redis_url: str, django_user_model: Any
) -> None:
    from forge_suite.realtime.redis_state import RedisState

    prefix = f"forge-rt-live-{uuid.uuid4().hex[:8]}"
    settings.FORGE = {"REALTIME": {"APPS": [APP], "REDIS_URL": redis_url, "KEY_PREFIX": prefix}}

    async def seed() -> None:
        for process, conns in (("web-1", 3), ("web-2", 2)):
            state = RedisState(redis_url, prefix, 30, process)
            await state.admit_connections("3", 1000, conns, 0)
            await state.sync_counts([("3", "orders", conns, conns), ("3", "quiet", 1, 1)])
            await state.presence_join_many(
                [("3", "presence-room.1", f"u{process}", f"1.{conns}", "{}", 100)]
            )
            await state.close()

    async def clean() -> None:
        state = RedisState(redis_url, prefix, 30, "x")
        async for key in state.redis.scan_iter(match=f"{prefix}*"):
            await state.redis.delete(key)
        await state.close()

    async_to_sync(seed)()
    try:
        staff = django_user_model.objects.create_user("ops", password="x", is_staff=True)
        client = Client()
        assert client.get("/broadcasting/live").status_code == 302  # to the admin login
        client.force_login(staff)
        # The admin index links the page for staff allowed to view it; both addresses show
        # the same figures.
        assert client.get("/admin/forge_realtime/liveoverview/").status_code == 403
        from django.contrib.auth.models import Permission

        staff.user_permissions.add(Permission.objects.get(codename="view_liveoverview"))
        index = client.get("/admin/").content.decode()
        assert 'href="/admin/forge_realtime/liveoverview/"' in index
        for url in ("/broadcasting/live", "/admin/forge_realtime/liveoverview/"):
            response = client.get(url)
            assert response.status_code == 200, url
            page = response.content.decode()
            assert "App shop (3): 5 connections" in page
            assert "<td>web-1</td><td>3</td>" in page
            assert page.index("<td>orders</td><td>5</td>") < page.index("<td>quiet</td><td>2</td>")
            assert "<td>presence-room.1</td><td>2</td><td>uweb-1, uweb-2</td>" in page
        # A signed-in user without the view permission does not get it.
        plain = django_user_model.objects.create_user("plain", password="x", is_staff=False)
        client.force_login(plain)
        assert client.get("/admin/forge_realtime/liveoverview/").status_code == 302
    finally:
        async_to_sync(clean)()
