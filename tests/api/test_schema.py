"""The OpenAPI document validates, and every documented operation answers a valid token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from django.utils import timezone

from forge_suite.api import SCOPES
from tests.api.conftest import MachineClient
from tests.support.oauth import bearer
from tests.support.servers import ServerProcess

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.scheduling"),
    pytest.mark.django_db(transaction=True),
]


def test_the_schema_validates_and_every_operation_answers(
    machine_client: Callable[..., MachineClient],
) -> None:
    from openapi_spec_validator import validate

    from forge_suite.scheduling.models import FailedJob, JobRun

    client = machine_client()
    schema = requests.get(
        f"{client.base}/api/v1/schema/", headers={"Accept": "application/json"}, timeout=30
    ).json()
    validate(schema)
    assert schema["info"]["title"] == "Forge Suite API"
    # Each operation names the scopes its view asks for; the flows point at our endpoints.
    retry = schema["paths"]["/api/v1/jobs/failed/{id}/retry/"]["post"]
    assert {"oauth2": ["jobs:write"]} in retry["security"]
    runs = schema["paths"]["/api/v1/jobs/runs/"]["get"]
    assert {"oauth2": ["jobs:read"]} in runs["security"]
    flows = schema["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/o/token/"
    assert flows["authorizationCode"]["authorizationUrl"] == "/o/authorize/"
    assert "jobs:write" in flows["clientCredentials"]["scopes"]

    run = JobRun.objects.create(task_name="t", task_id="r-1", started_at=timezone.now())
    failed = FailedJob.objects.create(task_name="forge_scheduling.run_scheduled_event", task_id="f")
    # A token of a superuser holding every scope: every operation is allowed, so each answer
    # shows how the endpoint treats the (empty) input, never a refusal.
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password="pw-12345678")
    session = requests.Session()
    session.headers.update(bearer(" ".join(SCOPES), admin))
    ids = {"jobrun": run.pk, "failedjob": failed.pk}
    walked = []
    for template, operations in schema["paths"].items():
        url = template.replace("{id}", str(ids["failedjob" if "failed" in template else "jobrun"]))
        url = url.replace("{channel}", "presence-room.1")
        for method in ("get", "post", "delete"):
            if method not in operations:
                continue
            response = session.request(method.upper(), client.base + url)
            # 503: the health summary finds a component down on this machine (still an answer)
            body = response.content[:2000]
            assert response.status_code < 500 or response.status_code == 503, (url, body)
            assert response.status_code not in {401, 403}, (url, body)
            assert len(response.headers.get("X-Request-ID", "")) >= 16, (url, response.headers)
            walked.append((method, template))
    assert {template for _, template in walked} == set(schema["paths"])
    assert ("delete", "/api/v1/jobs/failed/{id}/") in walked
    # Refusals carry one too, and a caller's valid id comes back.
    anonymous = requests.get(f"{client.base}/api/v1/jobs/runs/", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["X-Request-ID"]
    mine = session.get(f"{client.base}/api/v1/jobs/runs/", headers={"X-Request-ID": "a" * 32})
    assert mine.headers["X-Request-ID"] == "a" * 32


def test_the_docs_page_uses_bundled_assets(api_server: ServerProcess) -> None:
    page = requests.get(f"{api_server.url}/api/v1/docs/", timeout=30)
    assert page.status_code == 200
    # .content, not .text: a page without a charset would go through chardet's detection
    html = page.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_api_schema_command_writes_the_served_document(tmp_path: Any) -> None:
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.test import Client

    out = StringIO()
    target = tmp_path / "openapi.json"
    call_command("api_schema", file=str(target), validate=True, stdout=out)
    written = json.loads(target.read_text())
    served = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert written["paths"].keys() == served["paths"].keys()
    assert f"({len(written['paths'])} paths)" in out.getvalue()

    yaml_out = StringIO()
    call_command("api_schema", stdout=yaml_out)
    assert yaml_out.getvalue().startswith("openapi: 3")

    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("api_schema", file=str(tmp_path / "taken" / "openapi.json"))
