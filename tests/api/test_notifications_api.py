"""The notification inbox through the API with a user's bearer token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from tests.api.conftest import MachineClient
from tests.support.oauth import bearer
from tests.support.servers import ServerProcess

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.mailer"),
    pytest.mark.django_db(transaction=True),
]


def test_a_user_reads_and_marks_only_their_notifications(
    api_server: ServerProcess, machine_client: Callable[..., MachineClient]
) -> None:
    from django.contrib.auth import get_user_model

    from forge_suite.mailer.models import DatabaseNotification

    ann, ben = (get_user_model().objects.create_user(n, password="x") for n in ("ann", "ben"))
    now = timezone.now()
    for i in range(3):
        DatabaseNotification.objects.create(
            user=ann, kind="order.shipped", data={"n": i}, created_at=now - timedelta(minutes=i)
        )
    DatabaseNotification.objects.create(user=ben, kind="secret", data={})
    inbox = f"{api_server.url}/api/v1/notifications/"
    reader = bearer("notifications:read", ann)
    page = requests.get(inbox, headers=reader, timeout=10)
    assert page.status_code == 200, page.content
    assert [row["data"]["n"] for row in page.json()["results"]] == [0, 1, 2]  # newest first
    assert page.headers["X-Unread-Count"] == "3"

    first = page.json()["results"][0]["id"]
    assert requests.post(f"{inbox}{first}/read/", headers=reader, timeout=10).status_code == 403
    writer = bearer("notifications:read notifications:write", ann)
    marked = requests.post(f"{inbox}{first}/read/", headers=writer, timeout=10)
    assert marked.status_code == 200
    assert marked.json()["is_read"] is True
    unread = requests.get(inbox, params={"unread": 1}, headers=reader, timeout=10).json()
    assert len(unread["results"]) == 2
    assert requests.post(f"{inbox}read-all/", headers=writer, timeout=10).json() == {"marked": 2}

    # Ben's notification is not Ann's to see; a machine token has no inbox.
    secret = DatabaseNotification.objects.get(user=ben).pk
    assert requests.post(f"{inbox}{secret}/read/", headers=writer, timeout=10).status_code == 404
    machine = machine_client().session(["notifications:read"])
    assert machine.get(inbox).status_code == 403
