"""Fixtures of the API tests: OAuth2 applications and tokens made through the real endpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.servers import ServerProcess

pytestmark = pytest.mark.needs_apps("forge_suite.api", "forge_suite.scheduling")


@dataclass
class MachineClient:
    """A confidential client-credentials application; ``secret`` is the plain secret."""

    client_id: str
    secret: str
    token_url: str
    base: str

    def session(self, scope: list[str]) -> Any:
        """A requests-oauthlib session holding a token for ``scope`` (the real token flow)."""
        from oauthlib.oauth2 import BackendApplicationClient
        from requests_oauthlib import OAuth2Session

        session = OAuth2Session(client=BackendApplicationClient(client_id=self.client_id))
        session.fetch_token(
            token_url=self.token_url,
            client_id=self.client_id,
            client_secret=self.secret,
            scope=scope,
            include_client_id=True,
        )
        return session


@pytest.fixture(scope="module")
def api_server(django_db_setup: Any, django_db_blocker: Any) -> Iterator[ServerProcess]:
    """The test project under a WSGI server process, on this run's test database (tests that
    use it commit their data: ``django_db(transaction=True)``)."""
    from django.db import connection

    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.api.server_settings",
        "FORGE_API_DB_NAME": name,
        "OAUTHLIB_INSECURE_TRANSPORT": "1",  # plain http on loopback
    }
    server = ServerProcess("", env, server="wsgi", name="api")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def machine_client(api_server: ServerProcess) -> Callable[..., MachineClient]:
    from oauth2_provider.models import get_application_model

    def make(name: str = "reporting") -> MachineClient:
        application_model = get_application_model()
        secret = f"{name}-secret-0123456789abcdef"
        application = application_model.objects.create(
            name=name,
            client_type=application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,  # hashed on save: keep the plain one here
        )
        return MachineClient(
            application.client_id, secret, f"{api_server.url}/o/token/", api_server.url
        )

    return make


@pytest.fixture(autouse=True)
def loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """oauthlib refuses plain http; the live server listens on loopback without TLS."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
