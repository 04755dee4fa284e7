"""The caller's rate-limit usage through the API, per OAuth2 client."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import MachineClient

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.throttling", "forge_suite.scheduling"),
    pytest.mark.django_db(transaction=True),
]


def test_usage_counts_each_clients_own_requests(
    machine_client: Callable[..., MachineClient],
) -> None:
    busy = machine_client("busy")
    quiet = machine_client("quiet")
    busy_session = busy.session(["jobs:read", "throttling:read"])
    for _ in range(5):
        assert busy_session.get(f"{busy.base}/api/v1/jobs/runs/").status_code == 200
    usage = busy_session.get(f"{busy.base}/api/v1/throttling/usage/")
    assert usage.status_code == 200, usage.content
    api = next(row for row in usage.json() if row["policy"] == "api")
    assert api["error"] is None
    assert api["used"] >= 6  # five reads and this request itself
    assert api["remaining"] == api["limit"] - api["used"]

    quiet_session = quiet.session(["throttling:read"])
    mine = next(
        row
        for row in quiet_session.get(f"{quiet.base}/api/v1/throttling/usage/").json()
        if row["policy"] == "api"
    )
    assert mine["used"] == 1  # its one request: counted per OAuth2 client, not shared

    no_scope = quiet.session(["jobs:read"])
    assert no_scope.get(f"{quiet.base}/api/v1/throttling/usage/").status_code == 403
