"""Client credentials through requests-oauthlib against the live server: scopes, revocation,
expiry and introspection, on the jobs endpoints."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
import requests
from django.utils import timezone

from tests.api.conftest import MachineClient

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.scheduling"),
    pytest.mark.django_db(transaction=True),
]


def seed_runs(count: int) -> None:
    from forge_suite.scheduling.models import JobRun

    now = timezone.now()
    JobRun.objects.bulk_create(
        JobRun(
            task_name="shop.tasks.export",
            task_id=f"t-{i}",
            queue="default",
            state="SUCCESS" if i % 3 else "FAILURE",
            started_at=now - datetime.timedelta(seconds=i),
        )
        for i in range(count)
    )


def test_a_machine_client_reads_the_job_history_page_by_page(
    machine_client: Callable[..., MachineClient],
) -> None:
    seed_runs(7)
    client = machine_client()
    session = client.session(["jobs:read"])
    assert session.token["token_type"] == "Bearer"
    assert session.token["scope"] == ["jobs:read"]

    seen: list[int] = []
    url = f"{client.base}/api/v1/jobs/runs/?page_size=3"
    while url:
        response = session.get(url)
        assert response.status_code == 200, response.content[:2000]
        body = response.json()
        assert len(body["results"]) <= 3
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)  # newest first, stable cursor

    failures = session.get(f"{client.base}/api/v1/jobs/runs/", params={"state": "FAILURE"})
    assert {row["state"] for row in failures.json()["results"]} == {"FAILURE"}


def test_a_token_without_the_scope_gets_403_and_no_token_401(
    machine_client: Callable[..., MachineClient],
) -> None:
    from forge_suite.scheduling.models import FailedJob

    failed = FailedJob.objects.create(task_name="shop.tasks.export", task_id="f-1")
    client = machine_client()
    reader = client.session(["jobs:read"])
    assert reader.get(f"{client.base}/api/v1/jobs/failed/").status_code == 200
    refused = reader.delete(f"{client.base}/api/v1/jobs/failed/{failed.pk}/")
    assert refused.status_code == 403
    assert FailedJob.objects.filter(pk=failed.pk).exists()

    writer = client.session(["jobs:read", "jobs:write"])
    assert writer.delete(f"{client.base}/api/v1/jobs/failed/{failed.pk}/").status_code == 204
    assert not FailedJob.objects.filter(pk=failed.pk).exists()

    anonymous = requests.get(f"{client.base}/api/v1/jobs/runs/", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_and_expired_tokens_get_401_and_introspect_inactive(
    machine_client: Callable[..., MachineClient],
) -> None:
    from oauth2_provider.models import get_access_token_model

    client = machine_client()
    session = client.session(["jobs:read", "introspection"])
    token = session.token["access_token"]
    runs = f"{client.base}/api/v1/jobs/runs/"
    assert session.get(runs).status_code == 200

    introspect = f"{client.base}/o/introspect/"
    auth = (client.client_id, client.secret)
    active = requests.post(introspect, data={"token": token}, auth=auth, timeout=10).json()
    assert active["active"] is True
    assert set(active["scope"].split()) == {"jobs:read", "introspection"}

    revoked = requests.post(
        f"{client.base}/o/revoke_token/",
        data={"token": token, "token_type_hint": "access_token"},
        auth=auth,
        timeout=10,
    )
    assert revoked.status_code == 200
    assert session.get(runs).status_code == 401
    inactive = requests.post(introspect, data={"token": token}, auth=auth, timeout=10).json()
    assert inactive == {"active": False}

    fresh = client.session(["jobs:read"])
    get_access_token_model().objects.filter(token=fresh.token["access_token"]).update(
        expires=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = fresh.get(runs)
    assert expired.status_code == 401


def test_bad_input_is_a_400_naming_the_field(
    machine_client: Callable[..., MachineClient],
) -> None:
    from forge_suite.scheduling.models import FailedJob

    client = machine_client()
    session = client.session(["jobs:read", "jobs:write"])
    bad_state = session.get(f"{client.base}/api/v1/jobs/runs/", params={"state": "NOPE"})
    assert bad_state.status_code == 400
    assert "state" in bad_state.json()
    bad_cursor = session.get(f"{client.base}/api/v1/jobs/runs/", params={"cursor": "bz1hYmM="})
    assert bad_cursor.status_code == 400
    assert "cursor" in bad_cursor.json()
    missing = session.post(f"{client.base}/api/v1/jobs/failed/999999/retry/")
    assert missing.status_code == 404
    gone = FailedJob.objects.create(task_name="no.such.task", task_id="f-2")
    unknown_task = session.post(f"{client.base}/api/v1/jobs/failed/{gone.pk}/retry/")
    assert unknown_task.status_code == 400
    assert "task_name" in unknown_task.json()


def test_a_session_user_needs_the_model_permissions() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user("clerk", password="pw-12345678")
    web = Client()
    web.force_login(user)
    assert web.get("/api/v1/jobs/runs/").status_code == 403
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_jobrun"))
    assert web.get("/api/v1/jobs/runs/").status_code == 200


def test_schedules_are_listed_and_one_runs_now(
    machine_client: Callable[..., MachineClient],
) -> None:
    from oauth2_provider.models import AccessToken

    client = machine_client()
    reader = client.session(["jobs:read"])
    schedules = reader.get(f"{client.base}/api/v1/jobs/schedules/")
    assert schedules.status_code == 200, schedules.content
    names = [row["name"] for row in schedules.json()]
    assert "api.cleartokens" in names
    row = next(r for r in schedules.json() if r["name"] == "api.cleartokens")
    assert row["timing"]
    assert row["next_run"]
    assert (
        reader.post(f"{client.base}/api/v1/jobs/schedules/api.cleartokens/run/").status_code == 403
    )

    AccessToken.objects.create(
        token="expired-one", scope="jobs:read", expires=timezone.now() - datetime.timedelta(days=1)
    )
    writer = client.session(["jobs:read", "jobs:write"])
    ran = writer.post(f"{client.base}/api/v1/jobs/schedules/api.cleartokens/run/")
    assert ran.status_code == 202, ran.content
    assert ran.json()["status"]  # eager here: the event ran in the server process
    assert not AccessToken.objects.filter(token="expired-one").exists()
    missing = writer.post(f"{client.base}/api/v1/jobs/schedules/no.such.event/run/")
    assert missing.status_code == 404


def test_an_application_gets_only_the_scopes_the_admin_allows_it(
    machine_client: Callable[..., MachineClient],
) -> None:
    from oauth2_provider.models import get_application_model

    from forge_suite.api.models import ApplicationScopes

    client = machine_client("reports-only")
    application = get_application_model().objects.get(client_id=client.client_id)
    ApplicationScopes.objects.create(application=application, scopes="jobs:read health:read")

    allowed = client.session(["jobs:read"])
    assert allowed.get(f"{client.base}/api/v1/jobs/runs/").status_code == 200
    refused = requests.post(
        client.token_url,
        data={"grant_type": "client_credentials", "scope": "jobs:read jobs:write"},
        auth=(client.client_id, client.secret),
        timeout=10,
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"
    # An application without a row may still ask for any scope of the server.
    other = machine_client("unrestricted")
    assert other.session(["jobs:write"]).token["scope"] == ["jobs:write"]
