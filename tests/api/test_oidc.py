"""OpenID Connect as an option: discovery, JWKS, an RS256 ID token for the signed-in user
(checked with the published key) and userinfo, through a real browser sign-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.api.test_oauth_browser import REDIRECT, sign_in_and_consent
from tests.support.servers import ServerProcess

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.scheduling"),
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def oidc_server(
    django_db_setup: Any, django_db_blocker: Any, tmp_path: Path
) -> Iterator[ServerProcess]:
    from django.db import connection

    from forge_suite.api import oidc_key

    pem = tmp_path / "keys" / "oidc.pem"
    assert oidc_key(pem) is None  # not made unless asked
    assert oidc_key(pem, create=True) == pem.read_text()
    assert pem.stat().st_mode & 0o777 == 0o600
    assert oidc_key(pem, create=True) == pem.read_text()  # kept, not replaced
    with django_db_blocker.unblock():
        name = str(connection.settings_dict["NAME"])
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.api.server_settings",
        "FORGE_API_DB_NAME": name,
        "FORGE_API_OIDC_KEY_FILE": str(pem),
        "OAUTHLIB_INSECURE_TRANSPORT": "1",
    }
    server = ServerProcess("", env, server="wsgi", name="oidc")
    try:
        yield server
    finally:
        server.stop()


def test_id_token_signed_with_the_published_key_and_userinfo(
    oidc_server: ServerProcess, browser: Any
) -> None:
    from django.contrib.auth import get_user_model
    from jwcrypto import jwk, jwt
    from oauth2_provider.models import get_application_model
    from requests_oauthlib import OAuth2Session

    base = oidc_server.url
    discovery = requests.get(f"{base}/o/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"].startswith(base)
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    keys = jwk.JWKSet.from_json(requests.get(discovery["jwks_uri"], timeout=10).text)

    user = get_user_model().objects.create_user(
        "ada", password="correct horse battery", is_staff=True
    )
    model = get_application_model()
    application = model.objects.create(
        name="Chat SPA",
        client_type=model.CLIENT_PUBLIC,
        authorization_grant_type=model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        client_secret="",
        algorithm=model.RS256_ALGORITHM,
    )
    session = OAuth2Session(
        application.client_id, redirect_uri=REDIRECT, scope=["openid", "jobs:read"], pkce="S256"
    )
    url, _ = session.authorization_url(f"{base}/o/authorize/")
    token = session.fetch_token(
        f"{base}/o/token/",
        authorization_response=sign_in_and_consent(browser, url),
        include_client_id=True,
    )
    id_token = jwt.JWT(jwt=token["id_token"], key=keys, algs=["RS256"])  # verifies the signature
    claims = json.loads(id_token.claims)
    assert claims["sub"] == str(user.pk)
    assert claims["aud"] == application.client_id
    assert claims["iss"] == discovery["issuer"]
    info = session.get(discovery["userinfo_endpoint"]).json()
    assert info["sub"] == str(user.pk)
