"""Settings of the API server process the API tests start: the test project on the test database."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, MIDDLEWARE, TEMPLATES

DATABASES["default"]["NAME"] = os.environ["FORGE_API_DB_NAME"]
# Request ids on every answer, as a project with forge_suite.observability has them.
MIDDLEWARE = ["forge_suite.observability.middleware.RequestIdMiddleware", *MIDDLEWARE]
LOGIN_URL = "/admin/login/"  # the authorization endpoint sends users there first
# A daily limit: GCRA gives back one request per 86 s, so usage figures do not drain during a
# test, however slow the machine.
FORGE = {
    "API": {
        "THROTTLE_RATE": "1000/d",
        "MAILABLES": ["tests.mailer.mailables.Welcome", "tests.mailer.mailables.OrderShipped"],
    }
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
# The mailer tests' templates, for the Mailables the API may send.
TEMPLATES = [
    dict(TEMPLATES[0], DIRS=[os.path.join(os.path.dirname(__file__), "..", "mailer", "templates")])
]

# test_oidc.py: OpenID Connect on, with the RSA key it generated.
if os.environ.get("FORGE_API_OIDC_KEY_FILE"):
    from pathlib import Path

    from forge_suite.api import oauth2_provider_settings

    OAUTH2_PROVIDER = oauth2_provider_settings(
        debug=True,
        oidc_rsa_private_key=Path(os.environ["FORGE_API_OIDC_KEY_FILE"]).read_text(),
    )
