"""Authorization code with PKCE, end to end: requests-oauthlib as the client, a user signing in
and consenting in headless Chromium, then refresh (rotated), revocation and introspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.api.conftest import MachineClient
from tests.support.servers import ServerProcess

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.scheduling"),
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

#: Where the authorization server sends the browser back; nothing needs to listen there, the
#: test reads the code from the address the browser was sent to.
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture
def spa_client() -> str:
    """A public client (no secret) of the authorization-code grant, like a single-page app."""
    from oauth2_provider.models import get_application_model

    model = get_application_model()
    application = model.objects.create(
        name="Chat SPA",
        client_type=model.CLIENT_PUBLIC,
        authorization_grant_type=model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        client_secret="",
    )
    return str(application.client_id)


def sign_in_and_consent(browser: Any, url: str) -> str:
    """Open ``url`` (the authorization request), sign in, authorize; the callback address."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    browser.find_element(By.NAME, "username").send_keys("ada")
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    scopes = browser.find_element(By.ID, "scopes").text
    assert "See job history, failed jobs and schedules" in scopes
    assert "Authorize Chat SPA?" in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.NAME, "allow").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.startswith(REDIRECT))
    return str(browser.current_url)


def test_authorization_code_with_pkce_refresh_revoke_and_introspect(
    api_server: ServerProcess,
    spa_client: str,
    browser: Any,
    machine_client: Callable[..., MachineClient],
) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from requests_oauthlib import OAuth2Session

    user = get_user_model().objects.create_user(
        "ada", password="correct horse battery", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_jobrun"))
    base = api_server.url
    session = OAuth2Session(spa_client, redirect_uri=REDIRECT, scope=["jobs:read"], pkce="S256")
    url, state = session.authorization_url(f"{base}/o/authorize/")
    assert "code_challenge_method=S256" in url

    callback = sign_in_and_consent(browser, url)
    assert f"state={state}" in callback
    token = session.fetch_token(
        f"{base}/o/token/", authorization_response=callback, include_client_id=True
    )
    assert token["scope"] == ["jobs:read"]
    assert session.get(f"{base}/api/v1/jobs/runs/").status_code == 200

    # Refresh: a new pair; the old refresh token is spent (rotation) and cannot be replayed.
    old_refresh = token["refresh_token"]
    renewed = session.refresh_token(f"{base}/o/token/", client_id=spa_client)
    assert renewed["refresh_token"] != old_refresh
    assert renewed["access_token"] != token["access_token"]
    replay = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": old_refresh, "client_id": spa_client},
        timeout=10,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"

    # Revoke the access token: the API refuses it and introspection calls it inactive.
    access = renewed["access_token"]
    revoked = requests.post(
        f"{base}/o/revoke_token/", data={"token": access, "client_id": spa_client}, timeout=10
    )
    assert revoked.status_code == 200
    assert session.get(f"{base}/api/v1/jobs/runs/").status_code == 401
    resource_server = machine_client("resource-server")
    introspected = requests.post(
        f"{base}/o/introspect/",
        data={"token": access},
        auth=(resource_server.client_id, resource_server.secret),
        timeout=10,
    )
    assert introspected.json() == {"active": False}


def test_a_wrong_pkce_verifier_is_refused(
    api_server: ServerProcess, spa_client: str, browser: Any
) -> None:
    from django.contrib.auth import get_user_model
    from requests_oauthlib import OAuth2Session

    get_user_model().objects.create_user("ada", password="correct horse battery", is_staff=True)
    base = api_server.url
    session = OAuth2Session(spa_client, redirect_uri=REDIRECT, scope=["jobs:read"], pkce="S256")
    url, _ = session.authorization_url(f"{base}/o/authorize/")
    callback = sign_in_and_consent(browser, url)
    code = callback.split("code=", 1)[1].split("&", 1)[0]
    response = requests.post(
        f"{base}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": spa_client,
            "code_verifier": "x" * 64,  # not the verifier the challenge was made from
        },
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
